// File helpers every layer may use (model files, dataset files, the cache, run outputs): hashing
// and crash-safe writes. They sit below everything, so that no layer reaches into another's
// folder (the cache into the backend, say) just to hash a file.

import { createHash } from "node:crypto";
import { createReadStream, renameSync, rmSync, writeFileSync } from "node:fs";
import { UserError } from "../errors.js";

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
    throw error;
  }
}
