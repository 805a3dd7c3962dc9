// Where a run's files live, named as lm-evaluation-harness v0.4 names them
// (lm_eval/loggers/evaluation_tracker.py, lm_eval/utils.py):
//   <output>/<model_name_sanitized>/results_<date id>.json
//   <output>/<model_name_sanitized>/samples_<task>_<date id>.jsonl
// where the date id is `datetime.now().isoformat().replace(":", "-")`. Every run gets its own
// date id, so a rerun never overwrites an earlier run's files. Results written by earlier
// versions of rakuten-eval (`results.json` with `samples_<task>.jsonl` beside it) are still read.
//
// `resultsFileOf` is the one answer to "which results file does this argument mean": a results
// file itself, a model folder (its newest results_*.json, else a legacy results.json), or an
// --output folder holding exactly one model folder.

import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { UserError } from "../util/errors.js";
import { notAFileKind } from "../util/files.js";

/** The results file of rakuten-eval before it took lm-eval's layout. */
export const LEGACY_RESULTS_FILE = "results.json";
const RESULTS_FILE = /^results_(.+)\.json$/;

/** lm-eval's `sanitize_model_name`: `re.sub(r"[\"<>:/|\\?*\[\]]+", "__", name)`. */
export function sanitizeModelName(name: string): string {
  return name.replace(/["<>:/|\\?*[\]]+/g, "__");
}

/** lm-eval's `sanitize_task_name`: `re.sub(r"\W", "_", name)` (Python's \W is Unicode-aware). */
export function sanitizeTaskName(name: string): string {
  return name.replace(/[^\p{L}\p{N}_]/gu, "_");
}

/**
 * `datetime.now().isoformat().replace(":", "-")` for a local time: `2024-05-01T12-34-56.789000`
 * (microseconds from the milliseconds we have; Python omits them when they are zero).
 */
export function dateId(when: Date): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, "0");
  const base = `${when.getFullYear()}-${pad(when.getMonth() + 1)}-${pad(when.getDate())}T${pad(when.getHours())}-${pad(when.getMinutes())}-${pad(when.getSeconds())}`;
  const ms = when.getMilliseconds();
  return ms === 0 ? base : `${base}.${pad(ms * 1000, 6)}`;
}

export function resultsFileName(id: string): string {
  return `results_${id}.json`;
}

/** lm-eval names a samples file by the task name as given (evaluation_tracker.save_results_samples). */
export function samplesFileName(task: string, id: string): string {
  return `samples_${task}_${id}.jsonl`;
}

/** The date id of a results file name (`results_<id>.json`), or null for any other name. */
export function dateIdOf(file: string): string | null {
  return RESULTS_FILE.exec(path.basename(file))?.[1] ?? null;
}

/** The names in a folder; none when it is not there or not a folder, and one line when it cannot be read (EACCES is not "no results"). */
function namesIn(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT" || code === "ENOTDIR") return [];
    throw new UserError("usage", `${dir} cannot be read (${code ?? (error as Error).message}); give yourself read access to it (e.g. chmod u+rx), or name another folder.`);
  }
}

function resultsFilesIn(dir: string): string[] {
  const names = namesIn(dir);
  // Date ids sort as text in time order (lm-eval's get_latest_filename takes the max the same way).
  return names.filter((n) => RESULTS_FILE.test(n) || n === LEGACY_RESULTS_FILE).sort((a, b) => (dateIdOf(a) ?? "").localeCompare(dateIdOf(b) ?? ""));
}

/** The newest results file in a model folder (a legacy results.json counts as oldest), or null. */
export function newestResultsFile(dir: string): string | null {
  const files = resultsFilesIn(dir);
  return files.length === 0 ? null : path.join(dir, files[files.length - 1]!);
}

const GIVE = "give a results_<date>.json (or a legacy results.json) written by `rakuten-eval run` or lm-evaluation-harness, its model folder, or the --output folder holding one model folder";

/**
 * The results file an argument means: the file itself; in a folder, its newest results file;
 * in an --output folder without one, the newest results file of its only model folder.
 * Several model folders are ambiguous: the message lists them.
 */
export function resultsFileOf(arg: string): string {
  if (!existsSync(arg)) throw new UserError("usage", `${arg} does not exist; ${GIVE}.`);
  let file = arg;
  if (statSync(arg).isDirectory()) {
    const own = newestResultsFile(arg);
    if (own) file = own;
    else {
      const models = namesIn(arg)
        .filter((n) => !n.startsWith(".") && statSync(path.join(arg, n)).isDirectory() && newestResultsFile(path.join(arg, n)) !== null)
        .sort();
      if (models.length === 0) throw new UserError("usage", `${arg} holds no results file; ${GIVE}.`);
      if (models.length > 1) {
        throw new UserError("usage", `${arg} holds runs of ${models.length} models (${models.join(", ")}); name one folder, e.g. ${path.join(arg, models[0]!)}.`);
      }
      file = newestResultsFile(path.join(arg, models[0]!))!;
    }
  }
  // Decided by stat alone: reading a FIFO would block (and ignore Ctrl-C).
  const kind = notAFileKind(statSync(file));
  if (kind !== null) throw new UserError("usage", `${file} is ${kind}, not a results file; ${GIVE}.`);
  return file;
}
