// Why the request cache cannot be used when a run starts, as one line naming the file, the
// cause (SQLite's or the file system's own words kept) and the fix. A cache that fails at start
// stops the run (exit 2) rather than letting it go on unprotected: the user asked for answers
// to be kept (the default), and a disk too full for the cache's first page usually has no
// room for the outputs either, which a run would only find out after all its work.

import { statfsSync, statSync } from "node:fs";
import path from "node:path";
import { UserError } from "../util/errors.js";
import { notAFileKind } from "../util/files.js";
import { oneLine } from "../util/oneLine.js";

/** Free bytes under which a disk counts as full (SQLite needs a few pages for the WAL and its index). */
const NEARLY_FULL_BYTES = 1 << 20;

const fix = (elsewhere: "disk" | "folder") => `pass --cache-dir with ${elsewhere === "disk" ? "a folder on another disk" : "another folder"}, or --no-cache (answers then are not kept for a resume)`;

/** Free bytes on the file system holding `dir` (or its nearest existing parent); null when unknown. */
function freeBytes(dir: string): number | null {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try {
      const s = statfsSync(d);
      return s.bavail * s.bsize;
    } catch {
      if (path.dirname(d) === d) return null;
    }
  }
}

/** What is at `file` when it is not a regular file ("a directory"), else null. */
function notAFile(file: string): string | null {
  try {
    return notAFileKind(statSync(file));
  } catch {
    return null;
  }
}

/**
 * The request cache `file` failed to open or to take its first writes with `error`: one line
 * naming the file, the cause and the fix (`UserError`, exit 2). Corruption is not handled here
 * (a corrupt file is moved aside and the run goes on, see database.ts).
 */
export function cacheFault(file: string, error: unknown): UserError {
  const e = error as { code?: unknown } | null;
  const code = typeof e?.code === "string" ? e.code : "";
  const cause = `${oneLine(error)}${code !== "" && !oneLine(error).includes(code) ? `, ${code}` : ""}`;
  const dir = path.dirname(file);
  const free = freeBytes(dir);
  const full = code === "SQLITE_FULL" || code === "ENOSPC" || code === "EDQUOT" || /disk is full|no space left|quota exceeded/i.test(cause);
  if (full || ((code.startsWith("SQLITE_IOERR") || code === "EIO") && free !== null && free < NEARLY_FULL_BYTES)) {
    const room = free === null ? "" : `, ${free} bytes free`;
    return new UserError("cache", `The request cache ${file} cannot be written: the disk holding it is full (${cause}${room}); free space there, or ${fix("disk")}.`);
  }
  const kind = notAFile(file);
  if (kind !== null) {
    return new UserError("cache", `The request cache ${file} is ${kind}, not a database file (${cause}); move it out of the way, or ${fix("folder")}.`);
  }
  if (code.startsWith("SQLITE_READONLY") || code === "EROFS" || code === "EACCES" || code === "EPERM") {
    return new UserError("cache", `The request cache ${file} cannot be written (${cause}); make it and its folder writable, or ${fix("folder")}.`);
  }
  if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED") {
    return new UserError("cache", `The request cache ${file} stayed locked by another process for over 60 s (${cause}); wait for that run to finish, or ${fix("folder")}.`);
  }
  if (code.startsWith("SQLITE_IOERR") || code === "EIO") {
    return new UserError("cache", `The request cache ${file} cannot be read or written (${cause}): the disk or its file system failed; check the disk, or ${fix("disk")}.`);
  }
  return new UserError("cache", `The request cache ${file} cannot be opened (${cause}); check the file and its folder, or ${fix("folder")}.`);
}
