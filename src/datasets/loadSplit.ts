// Finds, verifies and parses one dataset split named by a task's DataFileRef.
// Verification happens before any model call: a changed file (checksum), a truncated or other
// version (record count) or a malformed one (parse) stops the run with a one-line fix.

import { isUtf8 } from "node:buffer";
import { lstat, readFile, stat } from "node:fs/promises";
import path from "node:path";
import type { DataFileRef } from "../api/task.js";
import { DatasetError } from "../util/errors.js";
import { digestBytes, digestFile, firstInvalidUtf8, notAFileKind, type FileDigest } from "../util/files.js";
import { parseRecords } from "./formats.js";
import { oneLine } from "../util/oneLine.js";
import { loadManifest, splitEntry } from "./manifests.js";
import type { PartialSplitFile, SplitEntry, SplitFile } from "./manifestTypes.js";

export interface LoadedSplit {
  /** Records in dataset order (for `squad_nested`/`jaqket_dpr`, as the HF loader yields them). Shared with the cache: do not mutate. */
  records: unknown[];
  /** The file read, relative to the data directory (`/`-separated, as in the manifest). */
  path: string;
  absolutePath: string;
  /** sha256 of the bytes read (always computed, for provenance in results). */
  sha256: string;
  /** The stand-in used because the official file is absent; null when the official file was read. */
  partial: PartialSplitFile | null;
  /**
   * What vouches for the file: its pinned sha256, its pinned git blob id, only its record count
   * (nothing pinned), or nothing (`none`: a check failed and `allowMismatch` let it through).
   */
  verified: "sha256" | "gitBlobSha1" | "count-only" | "none";
  /** The failed checks `allowMismatch` let through, one line each (empty when all passed). */
  mismatches: string[];
  /** What the user should hear about a file `allowMismatch` let through (invalid UTF-8 read as U+FFFD), one line each. */
  warnings?: string[];
}

export interface LoadSplitOptions {
  /** Load a file whose checksum or record count differs from the manifest (fixtures, other versions). */
  allowMismatch?: boolean;
  /** What the task reads the split for; only changes the advice in a "missing" message. */
  role?: "eval" | "fewshot";
}

export type SplitState = "present" | "partial" | "missing" | "mismatch";

export interface SplitCheck {
  state: SplitState;
  /** The file found (official or stand-in), or the official path when none is there; relative to the data directory. */
  path: string;
  absolutePath: string;
  /** Size in bytes of the file found; null when missing. */
  size: number | null;
  /** One line: why it is partial/missing/mismatched, or what was verified. */
  detail: string;
}

interface ParsedFile extends FileDigest {
  records: unknown[] | null;
  parseError: DatasetError | null;
  /** The first byte that is not UTF-8 (its line, 1-based, and offset); null when the file is valid UTF-8. */
  invalidUtf8: { line: number; offset: number; byte: number } | null;
}

/** Per-process cache: the evaluator may ask for the same split twice (eval and few-shot, or two tasks). */
const parsedCache = new Map<string, Promise<ParsedFile>>();

/** Forget every cached split (tests that rewrite a file within one mtime tick). */
export function clearSplitCache(): void {
  parsedCache.clear();
}

export async function loadSplit(dataDir: string, ref: DataFileRef, options: LoadSplitOptions = {}): Promise<LoadedSplit> {
  const entry = splitEntry(ref.dataset, ref.split);
  const found = await findFile(dataDir, entry);
  if (!found) throw missingError(dataDir, ref, entry, options.role);
  if ("notAFile" in found) throw notAFileError(ref, found.absolutePath, found.notAFile, options.role);
  const { file, absolutePath, size, mtimeMs } = found;
  const partial = file === entry ? null : (file as PartialSplitFile);

  const key = [absolutePath, mtimeMs, size, file.format, file.topLevelKey ?? ""].join("\0");
  let pending = parsedCache.get(key);
  if (!pending) {
    pending = readAndParse(absolutePath, file);
    parsedCache.set(key, pending);
    pending.catch(() => parsedCache.delete(key));
  }
  const parsed = await pending;

  const label = `${ref.dataset} ${ref.split}${partial ? " (partial stand-in)" : ""}`;
  const mismatches: string[] = [];
  const warnings: string[] = [];
  // Invalid UTF-8 first: it names the line, which a checksum cannot.
  if (parsed.invalidUtf8) {
    const { line, offset, byte } = parsed.invalidUtf8;
    const where = `${absolutePath}:${line}: invalid UTF-8 (byte 0x${byte.toString(16).padStart(2, "0")} at offset ${offset})`;
    if (!options.allowMismatch) throw new DatasetError("encoding", absolutePath, `${where}; the file is damaged or in another encoding: re-download it.`);
    mismatches.push(`${where} (${label}).`);
    warnings.push(`${where}; read as U+FFFD because of --allow-dataset-mismatch, so the docs it touches are not the dataset's.`);
  }
  let verified: LoadedSplit["verified"] = "count-only";
  if (file.sha256 !== null) {
    if (parsed.sha256 === file.sha256) verified = "sha256";
    else mismatches.push(`${absolutePath}: sha256 ${parsed.sha256} differs from the pinned ${file.sha256} (${label}); the file was altered or is another version: re-download it.`);
  } else if (file.gitBlobSha1 !== undefined) {
    if (parsed.gitBlobSha1 === file.gitBlobSha1) verified = "gitBlobSha1";
    else mismatches.push(`${absolutePath}: git blob id ${parsed.gitBlobSha1} differs from the pinned ${file.gitBlobSha1} (${label}); the file was altered or is another version: re-download it.`);
  }
  if (mismatches.length > 0 && !options.allowMismatch) throw new DatasetError("checksum", absolutePath, mismatches[0]!);

  // A malformed file cannot be let through: there would be nothing to evaluate.
  if (parsed.parseError) throw parsed.parseError;
  const records = parsed.records!;
  // Nothing to evaluate (or to draw shots from) is never let through: the task would vanish.
  if (records.length === 0) {
    throw new DatasetError("empty", absolutePath, `${absolutePath}: no records (${label}, expected ${file.records}); the file is empty or cut short: re-download it.`);
  }

  if (records.length !== file.records) {
    const message = `${absolutePath}: ${records.length} records, expected ${file.records} (${label}); the file is truncated or another version: re-download it.`;
    if (!options.allowMismatch) throw new DatasetError("count", absolutePath, message);
    mismatches.push(message);
  }
  if (mismatches.length > 0) verified = "none";

  return { records, path: file.path, absolutePath, sha256: parsed.sha256, partial, verified, mismatches, warnings };
}

/** Where a split stands, without throwing and (unless `hash`) without reading the file. */
export async function checkSplit(dataDir: string, ref: DataFileRef, options: { hash?: boolean } = {}): Promise<SplitCheck> {
  let entry: SplitEntry;
  try {
    entry = splitEntry(ref.dataset, ref.split);
  } catch (e) {
    return { state: "missing", path: "", absolutePath: "", size: null, detail: (e as Error).message };
  }
  const found = await findFile(dataDir, entry);
  if (!found) {
    const absolutePath = resolveIn(dataDir, entry.path);
    return { state: "missing", path: entry.path, absolutePath, size: null, detail: missingError(dataDir, ref, entry).message };
  }
  if ("notAFile" in found) {
    return { state: "mismatch", path: found.file.path, absolutePath: found.absolutePath, size: null, detail: notAFileError(ref, found.absolutePath, found.notAFile).message };
  }
  const { file, absolutePath, size } = found;
  const base = { path: file.path, absolutePath, size };
  if (file.bytes !== undefined && size !== file.bytes) {
    return { ...base, state: "mismatch", detail: `${size} bytes, expected ${file.bytes}: another version or an altered file.` };
  }
  let verifiedNote = "";
  if (options.hash) {
    const digest = await digestFile(absolutePath, size);
    if (file.sha256 !== null && digest.sha256 !== file.sha256) return { ...base, state: "mismatch", detail: `sha256 ${digest.sha256} differs from the pinned ${file.sha256}.` };
    if (file.sha256 === null && file.gitBlobSha1 !== undefined && digest.gitBlobSha1 !== file.gitBlobSha1) {
      return { ...base, state: "mismatch", detail: `git blob id ${digest.gitBlobSha1} differs from the pinned ${file.gitBlobSha1}.` };
    }
    verifiedNote = file.sha256 !== null ? "sha256 verified" : file.gitBlobSha1 !== undefined ? "git blob id verified" : "nothing pinned to verify";
  }
  if (file !== entry) {
    const stand = file as PartialSplitFile;
    const detail = `stand-in with ${stand.records} of ${stand.officialRecords} records: ${stand.note}`;
    return { ...base, state: "partial", detail: verifiedNote ? `${detail} (${verifiedNote})` : detail };
  }
  return { ...base, state: "present", detail: verifiedNote };
}

/**
 * The official file when it exists, else the first existing stand-in. A candidate that exists
 * but is not a regular file (a directory, a FIFO) is reported, not skipped: it is decided by
 * `stat` alone, since opening a FIFO would block.
 */
async function findFile(
  dataDir: string,
  entry: SplitEntry,
): Promise<{ file: SplitFile; absolutePath: string; size: number; mtimeMs: number } | { file: SplitFile; absolutePath: string; notAFile: string } | null> {
  for (const file of [entry as SplitFile, ...(entry.partial ?? [])]) {
    const absolutePath = resolveIn(dataDir, file.path);
    let info;
    try {
      info = await stat(absolutePath);
    } catch (error) {
      // Absent: try the next candidate. Present but not readable as a file (a symbolic link
      // loop or one to nothing, no permission): reported, naming the file, never taken as absent.
      const unusable = await unusablePathKind(absolutePath, error);
      if (unusable === null) continue;
      return { file, absolutePath, notAFile: unusable };
    }
    const kind = notAFileKind(info);
    if (kind !== null) return { file, absolutePath, notAFile: kind };
    return { file, absolutePath, size: info.size, mtimeMs: info.mtimeMs };
  }
  return null;
}

/**
 * What a path whose `stat` failed with `error` is, when something is there ("a symbolic link
 * loop (ELOOP)", "a symbolic link to a missing target", "unreadable (EACCES)"); null when nothing is.
 */
async function unusablePathKind(absolutePath: string, error: unknown): Promise<string | null> {
  const code = (error as NodeJS.ErrnoException).code ?? "";
  if (code === "ENOENT" || code === "ENOTDIR") {
    try {
      return (await lstat(absolutePath)).isSymbolicLink() ? "a symbolic link to a missing target" : null;
    } catch {
      return null;
    }
  }
  if (code === "ELOOP") return "a symbolic link loop (ELOOP)";
  return `unreadable (${code || oneLine(error)})`;
}

function notAFileError(ref: DataFileRef, absolutePath: string, kind: string, role?: "eval" | "fewshot"): DatasetError {
  const advice = role === "fewshot" ? "replace it with the dataset file, or run with --shots 0 for this task." : role === "eval" ? "replace it with the dataset file, or leave this task out." : "replace it with the dataset file.";
  return new DatasetError("not-file", absolutePath, `${absolutePath} is ${kind}, not a file (${ref.dataset} ${ref.split}); ${advice}`);
}

function resolveIn(dataDir: string, relative: string): string {
  return path.resolve(dataDir, ...relative.split("/"));
}

function missingError(dataDir: string, ref: DataFileRef, entry: SplitEntry, role?: "eval" | "fewshot"): DatasetError {
  const manifest = loadManifest(ref.dataset);
  const absolutePath = resolveIn(dataDir, entry.path);
  const advice = role === "fewshot" ? "Put the file there, or run with --shots 0 for this task." : role === "eval" ? "Put the file there, or leave this task out." : "Put the file there.";
  return new DatasetError("missing", absolutePath, `${ref.dataset} ${ref.split} split missing: expected ${absolutePath} (${manifest.source.name}, ${manifest.source.url}). ${advice}`, {
    name: manifest.source.name,
    url: manifest.source.url,
  });
}

async function readAndParse(absolutePath: string, file: SplitFile): Promise<ParsedFile> {
  const bytes = await readFile(absolutePath);
  const digest = digestBytes(bytes);
  let invalidUtf8: ParsedFile["invalidUtf8"] = null;
  if (!isUtf8(bytes)) {
    const offset = firstInvalidUtf8(bytes);
    let line = 1;
    for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
    invalidUtf8 = { line, offset, byte: bytes[offset]! };
  }
  let text = bytes.toString("utf8");
  // A byte-order mark (an editor's re-save) would make the first JSON line unparsable.
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    return { ...digest, records: parseRecords(text, file.format, absolutePath, file.topLevelKey), parseError: null, invalidUtf8 };
  } catch (e) {
    if (e instanceof DatasetError) return { ...digest, records: null, parseError: e, invalidUtf8 };
    throw e;
  }
}
