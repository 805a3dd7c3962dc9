// `datasets pull` and the library call `run` uses (ensureDatasets): for every split file a task
// needs, fetch it from its pinned source, convert it where the source's format differs, verify it
// (pinned sha256, else git blob id, else record count) and only then move it into the data folder.
// A file that fails verification is never left where a run would read it.
// The data layer knows no tasks: callers name the files (a suite's: tasks/registry.ts
// `suiteDatasetRefs`; a run's: run.ts from its selected tasks) and pass the refs in.
// This module decides, per file, what is already there, what to fetch and what the report says;
// pullSource.ts fetches and installs each source file.

import path from "node:path";
import type { DataFileRef } from "../api/task.js";
import { checkSplit } from "./loadSplit.js";
import { splitEntry } from "./manifests.js";
import type { SplitEntry } from "./manifestTypes.js";
import { describeFault, type NetworkFault } from "./networkFault.js";
import { canonical, pullGroup, type Job, type Outcome } from "./pullSource.js";
import type { PullFileResult, PullOptions, PullReport } from "./pullTypes.js";
import { displayUrl, resolveSource, sourceSettings, type SourceSettings } from "./sources.js";

/**
 * Make sure the given split files are in `dataDir`, pulling what is missing (the call `run` makes
 * before evaluating). With `offline` (or HF_HUB_OFFLINE=1 / RAKUTEN_EVAL_OFFLINE=1) nothing is
 * fetched and the report says what is missing.
 */
export async function ensureDatasets(refs: DataFileRef[], options: PullOptions): Promise<PullReport> {
  return pullDatasets(refs, options);
}

export function offlineFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const on = (v: string | undefined) => v !== undefined && /^(1|true|yes|on)$/i.test(v.trim());
  return on(env["HF_HUB_OFFLINE"]) || on(env["RAKUTEN_EVAL_OFFLINE"]);
}

export async function pullDatasets(refs: DataFileRef[], options: PullOptions): Promise<PullReport> {
  const settings = options.settings ?? sourceSettings();
  const offline = options.offline ?? offlineFromEnv();
  const dataDir = path.resolve(options.dataDir);
  const results = new Map<string, PullFileResult>();
  const key = (ref: DataFileRef) => `${ref.dataset}\0${ref.split}`;

  // 1. What is already there and sound.
  const todo: Job[] = [];
  for (const ref of dedupeRefs(refs)) {
    const entry = splitEntry(ref.dataset, ref.split);
    const existing = await presentAndSound(dataDir, ref, entry);
    if (existing?.official) {
      results.set(key(ref), { ...ref, path: entry.path, state: "present", verified: existing.verified, detail: "already present and verified" });
      continue;
    }
    if (!entry.download) {
      results.set(key(ref), existing ? { ...ref, path: existing.path, state: "partial", detail: "official file has no pinned source; a stand-in is present" } : { ...ref, path: entry.path, state: "missing", detail: `no download source is pinned for ${ref.dataset} ${ref.split}; put ${entry.path} into ${dataDir} by hand.` });
      continue;
    }
    if (offline) {
      results.set(key(ref), { ...ref, path: entry.path, state: existing ? "partial" : "missing", source: canonical(entry.download, settings), detail: `offline: not fetched (${displayUrl(canonical(entry.download, settings))}).` });
      continue;
    }
    todo.push({ ref, entry, file: entry, spec: entry.download, ...(existing ? { standInPresent: existing.path } : {}) });
  }

  // 2. Fetch, one source file at a time (MMLU's 171 CSVs share one data.tar). A host found
  // unreachable (no DNS, refused) is not contacted again: its other files share the one cause.
  const unreachable = new Map<string, { fault: NetworkFault; files: number }>();
  const fetchGroup = async (group: Job[]): Promise<Map<Job, Outcome>> => {
    const host = contactedHost(group[0]!, settings);
    const known = unreachable.get(host);
    if (known) {
      known.files += group.length;
      return new Map(group.map((job) => [job, { state: "failed", source: canonical(job.spec, settings), detail: describeFault(known.fault), unreachable: known.fault }]));
    }
    const outcomes = await pullGroup(group, dataDir, settings, options);
    const fault = [...outcomes.values()].find((o) => o.unreachable)?.unreachable;
    if (fault) unreachable.set(host, { fault, files: group.length });
    return outcomes;
  };
  const fallbacks: Job[] = [];
  for (const group of groupBySource(todo, settings)) {
    const outcomes = await fetchGroup(group);
    for (const [job, outcome] of outcomes) {
      if (outcome.state === "missing" && outcome.sourceMissing && job.standInPresent) {
        results.set(key(job.ref), { ...job.ref, path: job.standInPresent, state: "partial", source: outcome.source, detail: `official file unavailable (${outcome.detail}); the stand-in ${job.standInPresent} is present` });
        continue;
      }
      if (outcome.state === "missing" && outcome.sourceMissing) {
        const standIn = (job.entry.partial ?? []).find((p) => p.download);
        if (standIn) {
          fallbacks.push({ ...job, file: standIn, spec: standIn.download! });
          results.set(key(job.ref), { ...job.ref, path: job.file.path, state: "missing", source: outcome.source, detail: outcome.detail });
          continue;
        }
      }
      results.set(key(job.ref), { ...job.ref, path: job.file.path, state: outcome.state, ...(outcome.verified ? { verified: outcome.verified } : {}), source: outcome.source, detail: outcome.detail });
    }
  }

  // 3. Where the official source has no such file, the pinned stand-in (results say it is partial).
  for (const group of groupBySource(fallbacks, settings)) {
    const outcomes = await fetchGroup(group);
    for (const [job, outcome] of outcomes) {
      const official = results.get(key(job.ref))!;
      if (outcome.state === "pulled") {
        results.set(key(job.ref), { ...job.ref, path: job.file.path, state: "partial", ...(outcome.verified ? { verified: outcome.verified } : {}), source: outcome.source, detail: `official file unavailable (${official.detail}); pulled the stand-in ${job.file.path} instead` });
      } else {
        results.set(key(job.ref), { ...official, detail: `${official.detail}; stand-in: ${outcome.detail}` });
      }
    }
  }

  const files = dedupeRefs(refs).map((ref) => results.get(key(ref))!);
  return {
    dataDir,
    files,
    complete: files.every((f) => f.state === "present" || f.state === "pulled" || f.state === "partial"),
    unreachable: [...unreachable.values()].map(({ fault, files: n }) => `${describeFault(fault)}; ${n} file${n === 1 ? "" : "s"} not fetched from it`),
  };
}

/** The host a job's source is fetched from (a mirror's, when one is set). */
function contactedHost(job: Job, settings: SourceSettings): string {
  return new URL(resolveSource(job.spec, settings).url).host;
}

function dedupeRefs(refs: DataFileRef[]): DataFileRef[] {
  const seen = new Set<string>();
  return refs.filter((r) => {
    const k = `${r.dataset}\0${r.split}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function groupBySource(jobs: Job[], settings: SourceSettings): Job[][] {
  const groups = new Map<string, Job[]>();
  for (const job of jobs) {
    const k = canonical(job.spec, settings);
    const list = groups.get(k);
    if (list) list.push(job);
    else groups.set(k, [job]);
  }
  return [...groups.values()];
}

/** The file in place and sound (hash when one is pinned, else just present): skip fetching it. */
async function presentAndSound(dataDir: string, ref: DataFileRef, entry: SplitEntry): Promise<{ official: boolean; path: string; verified: PullFileResult["verified"] } | null> {
  const check = await checkSplit(dataDir, ref, { hash: true });
  if (check.state === "present") return { official: true, path: check.path, verified: entry.sha256 !== null ? "sha256" : entry.gitBlobSha1 !== undefined ? "gitBlobSha1" : "count-only" };
  if (check.state === "partial") {
    // The stand-in is sound, but the official file is still worth fetching.
    return { official: false, path: check.path, verified: undefined };
  }
  // Missing, or an altered or other-version file (the checksum decided it is not the pinned
  // one): pull fetches it and replaces what is there.
  return null;
}
