// Fetch one pinned source file and make every manifest file it feeds (MMLU's 171 CSVs share one
// data.tar): download it, extract or convert, verify each result (pinned sha256, else git blob id,
// else record count) and only then move it into the data folder. Apart from pull.ts, which
// decides what to fetch, because this is the part that touches the network and the disk.

import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import type { DataFileRef } from "../api/task.js";
import { DatasetError } from "../util/errors.js";
import { digestBytes } from "../util/files.js";
import { convertFile } from "./convert.js";
import { downloadToFile, SourceMissingError } from "./download.js";
import { SourceUnreachableError, type NetworkFault } from "./networkFault.js";
import { parseRecords } from "./formats.js";
import type { DownloadSpec, SplitEntry, SplitFile } from "./manifestTypes.js";
import type { PullFileResult, PullOptions } from "./pullTypes.js";
import { displayUrl, resolveSource, type SourceSettings } from "./sources.js";
import { extractTarMembers } from "./tarMembers.js";

/** Folder under the data directory for sources being fetched (partial downloads live here). */
export const DOWNLOADS_DIR = ".downloads";

/** One manifest file to make from a pinned source: pull.ts plans these, pullGroup makes them. */
export interface Job {
  ref: DataFileRef;
  entry: SplitEntry;
  /** The file being made: the official one, or a stand-in. */
  file: SplitFile;
  spec: DownloadSpec;
  /** A sound stand-in already in the data folder (relative path), if any. */
  standInPresent?: string;
}

export function canonical(spec: DownloadSpec, settings: SourceSettings): string {
  return resolveSource(spec, settings).canonical;
}

export interface Outcome {
  state: "pulled" | "missing" | "failed";
  verified?: PullFileResult["verified"];
  source: string;
  detail: string;
  /** The source answered "no such file" (404), so a stand-in may be tried. */
  sourceMissing?: boolean;
  /** The host could not be reached for a reason a retry does not cure (pull.ts fetches nothing more from it). */
  unreachable?: NetworkFault;
}

/** Fetch one source file and make every manifest file it feeds. */
export async function pullGroup(jobs: Job[], dataDir: string, settings: SourceSettings, options: PullOptions): Promise<Map<Job, Outcome>> {
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
    const unreachable = e instanceof SourceUnreachableError ? e.fault : undefined;
    if (!(e instanceof DatasetError)) options.log?.(`${label}: ${(e as Error).message}`);
    for (const job of jobs) {
      outcomes.set(job, { state: missing ? "missing" : "failed", source, detail: (e as Error).message, ...(missing ? { sourceMissing: true } : {}), ...(unreachable ? { unreachable } : {}) });
    }
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
