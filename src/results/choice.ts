// Which results file a folder argument stood for, said out loud. `compare` and `report` take a
// model folder's newest results file (lm-eval's rule); a throw-away `--limit 2` run made after
// the real one would silently become "the run". So a folder argument gets one line naming the
// file, its date and how much of the data it scored, and a warning when an older file in the
// same folder scored more.

import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { dateIdOf, LEGACY_RESULTS_FILE, resultsFileOf } from "./layout.js";

/** What a results file covers, read leniently (null for a file that does not parse). */
export interface ResultsCoverage {
  file: string;
  /** `2026-12-07 15:53:12` from the file name's date id, else from the document's `date`. */
  when: string;
  limit: number | null;
  /** Docs scored (lm-eval's n-samples effective) and in the full splits (original), over its tasks. */
  docs: number;
  docsInSplits: number;
  tasks: number;
  complete: boolean;
}

export function resultsCoverage(file: string): ResultsCoverage | null {
  let doc: { ["n-samples"]?: Record<string, { original?: number; effective?: number }>; config?: { limit?: unknown }; date?: unknown; rakuten_eval?: { complete?: unknown } };
  try {
    doc = JSON.parse(readFileSync(file, "utf8")) as typeof doc;
  } catch {
    return null;
  }
  const counts = Object.values(doc["n-samples"] ?? {});
  const id = dateIdOf(file);
  const fromId = id?.replace(/^(\d{4}-\d\d-\d\d)T(\d\d)-(\d\d)-(\d\d).*$/, "$1 $2:$3:$4");
  const fromDate = typeof doc.date === "number" ? new Date(doc.date * 1000).toISOString().replace("T", " ").slice(0, 19) + " UTC" : "date unknown";
  const limit = typeof doc.config?.limit === "number" ? doc.config.limit : null;
  return {
    file,
    when: fromId && fromId !== id ? fromId : fromDate,
    limit,
    docs: counts.reduce((a, c) => a + (c.effective ?? 0), 0),
    docsInSplits: counts.reduce((a, c) => a + (c.original ?? c.effective ?? 0), 0),
    tasks: counts.length,
    complete: doc.rakuten_eval?.complete !== false,
  };
}

const n = (x: number) => x.toLocaleString("en-US");

function coverageText(c: ResultsCoverage): string {
  const scope = c.limit !== null ? `--limit ${c.limit}: ${n(c.docs)} of ${n(c.docsInSplits)} docs` : `${n(c.docs)} docs`;
  return `${c.when}, ${scope}, ${c.tasks} task${c.tasks === 1 ? "" : "s"}${c.complete ? "" : ", incomplete"}`;
}

/** A run is fuller than another when it scored more docs, or as many and it finished. */
function fuller(a: ResultsCoverage, b: ResultsCoverage): boolean {
  return a.docs > b.docs || (a.docs === b.docs && a.complete && !b.complete);
}

/**
 * The lines to show for a results argument: none for a file named directly or a folder with one
 * results file; for a folder with several, the file taken (`relativeTo` shortens its path) and,
 * when another of them covers more, a warning naming it.
 */
export function resultsChoiceLines(arg: string, what: string, relativeTo = process.cwd()): string[] {
  let isFolder = false;
  try {
    isFolder = statSync(arg).isDirectory();
  } catch {
    return [];
  }
  if (!isFolder) return [];
  const file = resultsFileOf(arg);
  const dir = path.dirname(file);
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((f) => f !== path.basename(file) && (dateIdOf(f) !== null || f === LEGACY_RESULTS_FILE));
  } catch {
    names = [];
  }
  // A folder with one results file leaves nothing to choose: nothing to say.
  if (names.length === 0) return [];
  const chosen = resultsCoverage(file);
  // As the run's summary lists files: relative, unless that climbs three folders or more.
  const shown = (f: string) => {
    const relative = path.relative(relativeTo, f);
    return relative === "" || relative.split(path.sep).slice(0, 3).every((part) => part === "..") ? path.resolve(f) : relative;
  };
  if (!chosen) return [`${what}: ${shown(file)} (the newest results file in ${shown(arg)})`];
  const lines = [`${what}: ${shown(file)} (${coverageText(chosen)}; the newest in its folder)`];
  const others = names.map((f) => resultsCoverage(path.join(dir, f))).filter((c): c is ResultsCoverage => c !== null && fuller(c, chosen));
  others.sort((a, b) => b.docs - a.docs);
  const best = others[0];
  if (best && (chosen.limit !== null || !chosen.complete || best.docs > chosen.docs)) {
    lines.push(`warning: ${what} is a ${chosen.limit !== null ? `--limit ${chosen.limit} ` : ""}${chosen.complete ? "" : "incomplete "}run of ${n(chosen.docs)} docs, but ${shown(best.file)} (${coverageText(best)}) covers more; name that file to use it.`);
  }
  return lines;
}
