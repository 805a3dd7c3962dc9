// File helpers every layer may use (model files, dataset files, the cache, run outputs): hashing
// crash-safe writes and writable folders. They sit below everything, so that no layer reaches into another's
// folder (the cache into the backend, say) just to hash a file.

import { createHash } from "node:crypto";
import { accessSync, constants as fsConstants, createReadStream, mkdirSync, renameSync, rmSync, writeFileSync, type Stats } from "node:fs";
import { oneLine } from "./oneLine.js";
import { UserError } from "./errors.js";

/** The ids a pinned file may be checked against. */
export interface FileDigest {
  sha256: string;
  /** Git's blob id: sha1 over "blob <size>\0" followed by the content (what a repository's tree pins). */
  gitBlobSha1: string;
}

/**
 * The SHA-256 of a file as lowercase hex, read as a stream (model files are gigabytes).
 * An unreadable file is the user's input: `UserError("model")`, one line naming the fix.
 */
export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    const stream = createReadStream(path);
    stream.on("error", (error: NodeJS.ErrnoException) =>
      reject(new UserError("model", `Cannot read ${path} to hash it (${error.code ?? error.message.replace(/\s+/g, " ").trim()}). Check the path and its permissions.`)),
    );
    stream.on("data", (chunk) => hash.update(chunk));
    stream.on("end", () => resolve(hash.digest("hex")));
  });
}

/** sha256 and git blob id of bytes already in memory. */
export function digestBytes(bytes: Buffer): FileDigest {
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const gitBlobSha1 = createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");
  return { sha256, gitBlobSha1 };
}

/** sha256 and git blob id of a file of `size` bytes, read once as a stream. */
export async function digestFile(absolutePath: string, size: number): Promise<FileDigest> {
  const sha256 = createHash("sha256");
  const sha1 = createHash("sha1").update(`blob ${size}\0`);
  for await (const chunk of createReadStream(absolutePath)) {
    sha256.update(chunk as Buffer);
    sha1.update(chunk as Buffer);
  }
  return { sha256: sha256.digest("hex"), gitBlobSha1: sha1.digest("hex") };
}

/** Write to a temporary name and rename, so that a crash never leaves a half-written file. */
export function writeFileAtomic(file: string, content: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, content);
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true });
    // A failed write (ENOSPC) names no file: name the one being written, for the one-line message.
    const e = error as NodeJS.ErrnoException;
    if (e && typeof e === "object" && typeof e.code === "string" && e.path === undefined) e.path = file;
    throw error;
  }
}

/**
 * What a path that is not a regular file is, for messages ("a directory", "a FIFO (named pipe)");
 * null for a regular file. Decided from `stat`, never by opening: opening a FIFO blocks.
 */
export function notAFileKind(stats: Stats): string | null {
  if (stats.isFile()) return null;
  if (stats.isDirectory()) return "a directory";
  if (stats.isFIFO()) return "a FIFO (named pipe)";
  if (stats.isSocket()) return "a socket";
  if (stats.isCharacterDevice()) return "a character device";
  if (stats.isBlockDevice()) return "a block device";
  return "not a regular file";
}

/**
 * The byte offset of the first byte that breaks UTF-8 (an invalid lead or continuation byte,
 * an overlong form, a surrogate, a code point above U+10FFFF, or a sequence cut by the end);
 * -1 when the bytes are valid UTF-8.
 */
export function firstInvalidUtf8(bytes: Uint8Array): number {
  let i = 0;
  const n = bytes.length;
  while (i < n) {
    const b = bytes[i]!;
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0; // overlong
      if (b === 0xed) hi = 0x9f; // surrogates
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90; // overlong
      if (b === 0xf4) hi = 0x8f; // above U+10FFFF
    } else return i;
    for (let k = 1; k <= need; k++) {
      const c = bytes[i + k];
      if (c === undefined) return i;
      if (k === 1 ? c < lo || c > hi : c < 0x80 || c > 0xbf) return i;
    }
    i += need + 1;
  }
  return -1;
}

/** Null when `dir` exists (created if absent) and is writable, else why not: the errno code, or the error in one line. */
export function writableDirProblem(dir: string): string | null {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, fsConstants.W_OK);
    return null;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? oneLine(error);
  }
}
