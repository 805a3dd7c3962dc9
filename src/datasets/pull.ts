// `datasets pull` and the library call `run` uses (ensureDatasets): for every split file a task
// needs, fetch it from its pinned source, convert it where the source's format differs, verify it
// (pinned sha256, else git blob id, else record count) and only then move it into the data folder.
// A file that fails verification is never left where a run would read it.
// The data layer knows no tasks: callers name the files (a suite's: tasks/registry.ts
// `suiteDatasetRefs`; a run's: run.ts from its selected tasks) and pass the refs in.

import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import type { DataFileRef } from "../api/task.js";
import { DatasetError } from "../errors.js";
import { digestBytes } from "../util/files.js";
import { convertFile } from "./convert.js";
import { downloadToFile, SourceMissingError } from "./download.js";
import { parseRecords } from "./formats.js";
import { checkSplit, loadSplit } from "./loadSplit.js";
import { datasetRefs, splitEntry } from "./manifests.js";
import type { DownloadSpec, SplitEntry, SplitFile } from "./manifestTypes.js";
import { displayUrl, resolveSource, sourceSettings, type SourceSettings } from "./sources.js";
import { extractTarMembers } from "./tarMembers.js";

/** Folder under the data directory for sources being fetched (partial downloads live here). */
export const DOWNLOADS_DIR = ".downloads";

export type PullState =
  /** Already there and verified (nothing fetched). */
  | "present"
  /** Fetched and verified now. */
  | "pulled"
  /** The official source has no such file; a pinned stand-in was fetched instead. */
  | "partial"
  /** Not obtained: no source pinned, the source has no such file, or offline. */
  | "missing"
  /** Fetched, but it failed verification (changed upstream) or the transfer failed. */
  | "failed";

export interface PullFileResult {
  dataset: string;
  split: string;
  /** The file in the data folder (relative, as in the manifest). */
  path: string;
  state: PullState;
  /** How the file was checked: pinned sha256, git blob id, or only its record count. */
  verified?: "sha256" | "gitBlobSha1" | "count-only";
  /** The pinned source address (never a mirror's, never a token). */
  source?: string;
  /** One line: what happened or why not. */
  detail: string;
}

export interface PullOptions {
  dataDir: string;
  /** Source addresses and Hub token; default: from the environment (HF_ENDPOINT, HF_TOKEN, RAKUTEN_EVAL_SOURCE_MIRROR). */
  settings?: SourceSettings;
  /** Never touch the network: only report what is there (also when HF_HUB_OFFLINE or RAKUTEN_EVAL_OFFLINE is 1). */
  offline?: boolean;
  /** Progress bars on stderr (only drawn when stderr is a terminal). */
  progress?: boolean;
  /** One line per event (resumes, files pulled); never receives the token. */
  log?: (line: string) => void;
}

export interface PullReport {
  dataDir: string;
  files: PullFileResult[];
  /** True when every requested file is present (official or a stand-in) and verified. */
  complete: boolean;
}

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

interface Job {
  ref: DataFileRef;
  entry: SplitEntry;
  /** The file being made: the official one, or a stand-in. */
  file: SplitFile;
  spec: DownloadSpec;
  /** A sound stand-in already in the data folder (relative path), if any. */
  standInPresent?: string;
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

  // 2. Fetch, one source file at a time (MMLU's 171 CSVs share one data.tar).
  const fallbacks: Job[] = [];
  for (const group of groupBySource(todo, settings)) {
    const outcomes = await pullGroup(group, dataDir, settings, options);
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
    const outcomes = await pullGroup(group, dataDir, settings, options);
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
  return { dataDir, files, complete: files.every((f) => f.state === "present" || f.state === "pulled" || f.state === "partial") };
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

function canonical(spec: DownloadSpec, settings: SourceSettings): string {
  return resolveSource(spec, settings).canonical;
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

interface Outcome {
  state: "pulled" | "missing" | "failed";
  verified?: PullFileResult["verified"];
  source: string;
  detail: string;
  /** The source answered "no such file" (404), so a stand-in may be tried. */
  sourceMissing?: boolean;
}

/** Fetch one source file and make every manifest file it feeds. */
async function pullGroup(jobs: Job[], dataDir: string, settings: SourceSettings, options: PullOptions): Promise<Map<Job, Outcome>> {
  const first = jobs[0]!;
  const source = canonical(first.spec, settings);
  const outcomes = new Map<Job, Outcome>();
  // The cache key is the pinned address only: no mirror, no token.
  const cacheName = `${createHash("sha256").update(source).digest("hex").slice(0, 16)}-${path.posix.basename(new URL(source).pathname).replace(/[^A-Za-z0-9._-]/g, "_")}`;
  const fetched = path.join(dataDir, DOWNLOADS_DIR, cacheName);
  const label = jobs.length === 1 ? `${first.ref.dataset} ${first.ref.split}` : `${first.ref.dataset} (${jobs.length} files)`;
  try {
    if (!existsSync(fetched)) {
      options.log?.(`${label}: fetching ${displayUrl(source)}`);
      await downloadToFile(first.spec, fetched, { settings, label, ...(options.progress !== undefined ? { progress: options.progress } : {}), ...(options.log ? { log: options.log } : {}) });
    }
  } catch (e) {
    const missing = e instanceof SourceMissingError;
    if (!(e instanceof DatasetError)) options.log?.(`${label}: ${(e as Error).message}`);
    for (const job of jobs) outcomes.set(job, { state: missing ? "missing" : "failed", source, detail: (e as Error).message, ...(missing ? { sourceMissing: true } : {}) });
    return outcomes;
  }

  const produce = async (job: Job, bytes: Buffer): Promise<void> => {
    outcomes.set(job, await installVerified(job, bytes, dataDir, source));
  };
  try {
    const tarJobs = jobs.filter((j) => j.spec.convert?.kind === "tar-member");
    if (tarJobs.length > 0) {
      const members = new Map<string, (bytes: Buffer) => Promise<void>>();
      for (const job of tarJobs) members.set((job.spec.convert as { member: string }).member, (bytes) => produce(job, bytes));
      const absent = new Set(await extractTarMembers(fetched, members));
      for (const job of tarJobs) {
        const member = (job.spec.convert as { member: string }).member;
        if (absent.has(member)) outcomes.set(job, { state: "missing", source, detail: `${job.ref.dataset} ${job.ref.split}: ${displayUrl(source)} has no member ${member}.`, sourceMissing: true });
      }
    }
    for (const job of jobs.filter((j) => j.spec.convert?.kind !== "tar-member")) {
      const label1 = `${job.ref.dataset} ${job.ref.split}`;
      const bytes = job.spec.convert ? await convertFile(job.spec.convert, fetched, label1) : await readFile(fetched);
      await produce(job, bytes);
    }
  } catch (e) {
    for (const job of jobs) if (!outcomes.has(job)) outcomes.set(job, { state: "failed", source, detail: (e as Error).message });
  }
  // Complete sources are not kept: what they fed is in place, and a file that failed its check
  // must be fetched afresh next time (only interrupted `.part` files are kept, to resume).
  await rm(fetched, { force: true });
  return outcomes;
}

/** Verify `bytes` against the manifest entry and move them into place; a mismatch leaves nothing behind. */
async function installVerified(job: Job, bytes: Buffer, dataDir: string, source: string): Promise<Outcome> {
  const { file, ref } = job;
  const dest = path.resolve(dataDir, ...file.path.split("/"));
  const label = `${ref.dataset} ${ref.split}${file === job.entry ? "" : " (stand-in)"}`;
  const changed = (what: string) => ({
    state: "failed" as const,
    source,
    detail: `${label}: ${file.path} from ${displayUrl(source)} ${what}: the file changed upstream (or the mirror serves another version); it was not used.`,
  });
  const { sha256, gitBlobSha1: blob } = digestBytes(bytes);
  let verified: PullFileResult["verified"];
  if (file.sha256 !== null) {
    if (sha256 !== file.sha256) return changed(`has sha256 ${sha256}, not the pinned ${file.sha256}`);
    verified = "sha256";
  } else if (file.gitBlobSha1 !== undefined) {
    if (blob !== file.gitBlobSha1) return changed(`has git blob id ${blob}, not the pinned ${file.gitBlobSha1}`);
    verified = "gitBlobSha1";
  } else {
    verified = "count-only";
  }
  // The record count is checked for every file: a pinned hash says nothing about a parser mismatch.
  let count: number;
  try {
    let text = bytes.toString("utf8");
    if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    count = parseRecords(text, file.format, dest, file.topLevelKey).length;
  } catch (e) {
    return changed(`does not parse as ${file.format} (${(e as Error).message})`);
  }
  if (count !== file.records) return changed(`has ${count} records, not the pinned ${file.records}`);

  await mkdir(path.dirname(dest), { recursive: true });
  const temporary = `${dest}.pulling`;
  await writeFile(temporary, bytes);
  await rename(temporary, dest);
  return { state: "pulled", verified, source, detail: `pulled from ${displayUrl(source)} (${bytes.length} bytes, ${verified === "count-only" ? `${count} records; nothing pinned to hash` : `${verified} verified`})` };
}

/** The file in place and sound (hash when one is pinned, else just present): skip fetching it. */
async function presentAndSound(dataDir: string, ref: DataFileRef, entry: SplitEntry): Promise<{ official: boolean; path: string; verified: PullFileResult["verified"] } | null> {
  const check = await checkSplit(dataDir, ref, { hash: true });
  if (check.state === "present") return { official: true, path: check.path, verified: entry.sha256 !== null ? "sha256" : entry.gitBlobSha1 !== undefined ? "gitBlobSha1" : "count-only" };
  if (check.state === "partial") {
    // The stand-in is sound, but the official file is still worth fetching.
    return { official: false, path: check.path, verified: undefined };
  }
  if (check.state === "mismatch" && existsSync(check.absolutePath)) {
    // An altered or other-version file: pull replaces it (the checksum decided it is not the pinned one).
    const info = await stat(check.absolutePath);
    if (info.isFile()) return null;
  }
  return null;
}

export interface VerifyFileResult {
  dataset: string;
  split: string;
  path: string;
  state: "ok" | "mismatch" | "missing";
  /** What vouched for the file, or what differs. */
  detail: string;
}

export interface VerifyReport {
  dataDir: string;
  files: VerifyFileResult[];
  /** Files present and checked. */
  checked: number;
  mismatches: number;
  missing: number;
}

/**
 * Full check of every present split file (`datasets verify`): its sha256 or git blob id where one
 * is pinned, and its record count (the only check for files with nothing pinned).
 */
export async function verifyDatasets(dataDir: string): Promise<VerifyReport> {
  const files: VerifyFileResult[] = [];
  for (const ref of datasetRefs()) {
    const check = await checkSplit(dataDir, ref, { hash: true });
    const base = { ...ref, path: check.path };
    if (check.state === "missing") {
      files.push({ ...base, state: "missing", detail: "not present" });
      continue;
    }
    if (check.state === "mismatch") {
      files.push({ ...base, state: "mismatch", detail: check.detail });
      continue;
    }
    try {
      const loaded = await loadSplit(dataDir, ref);
      files.push({ ...base, state: "ok", detail: `${loaded.verified === "count-only" ? "record count" : loaded.verified} verified${loaded.partial ? " (stand-in)" : ""}` });
    } catch (e) {
      files.push({ ...base, state: "mismatch", detail: (e as Error).message });
    }
  }
  return {
    dataDir: path.resolve(dataDir),
    files,
    checked: files.filter((f) => f.state !== "missing").length,
    mismatches: files.filter((f) => f.state === "mismatch").length,
    missing: files.filter((f) => f.state === "missing").length,
  };
}
