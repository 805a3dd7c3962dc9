// The model file's sha256, which every cache key includes, without hashing gigabytes on
// every run: the hash is remembered in the cache by path, next to what identifies the
// file's version (its identity on the file system and a cheap content fingerprint), and
// computed again only when either changed.

import type Database from "better-sqlite3";
import { createHash } from "node:crypto";
import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import path from "node:path";
import { sha256File } from "../util/files.js";

/**
 * The model file's sha256, hashed once and remembered by absolute path together with the
 * file's identity (device, inode, size, mtime and ctime in nanoseconds) and a content
 * fingerprint (size, first and last MiB) that is read again on every run. A file replaced
 * in any way (a new inode from a rename or `rsync`, a write in place, which moves ctime
 * even when `cp -p` or `touch` restores mtime, or other bytes at either end) is hashed again.
 */
export async function rememberedModelSha256(db: Database.Database, modelPath: string): Promise<string> {
  const absolute = path.resolve(modelPath);
  const identity = fileIdentity(absolute);
  const fingerprint = contentFingerprint(absolute);
  const row = db.prepare("SELECT identity, fingerprint, sha256 FROM model_identity WHERE path = ?").get(absolute) as
    | { identity: string; fingerprint: string; sha256: string }
    | undefined;
  if (row && row.identity === identity && row.fingerprint === fingerprint) return row.sha256;
  const sha256 = await sha256File(absolute);
  // Remembered only if the file did not change while it was hashed.
  if (fileIdentity(absolute) === identity && contentFingerprint(absolute) === fingerprint) {
    db.prepare("INSERT OR REPLACE INTO model_identity (path, identity, fingerprint, sha256) VALUES (?, ?, ?, ?)").run(absolute, identity, fingerprint, sha256);
  }
  return sha256;
}

/** What the file system says identifies a file's current version. */
export function fileIdentity(file: string): string {
  const s = statSync(file, { bigint: true });
  return [s.dev, s.ino, s.size, s.mtimeNs, s.ctimeNs].join(":");
}

const FINGERPRINT_SPAN = 1 << 20;

/** sha256 over the size and the first and last MiB of a file: cheap enough to check on every run. */
export function contentFingerprint(file: string): string {
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    const hash = createHash("sha256").update(`${size}\0`);
    const buffer = Buffer.alloc(Math.min(FINGERPRINT_SPAN, size));
    const read = (position: number) => {
      let got = 0;
      while (got < buffer.length) {
        const n = readSync(fd, buffer, got, buffer.length - got, position + got);
        if (n === 0) break;
        got += n;
      }
      hash.update(buffer.subarray(0, got));
    };
    read(0);
    read(Math.max(0, size - buffer.length));
    return hash.digest("hex");
  } finally {
    closeSync(fd);
  }
}
