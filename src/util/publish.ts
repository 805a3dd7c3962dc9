// Publishing a set of files into a folder as one unit, for readers that check a manifest.
//
// The files are written into a fresh temporary folder inside the target (`.tmp-<pid>-<random>`,
// same file system, so renames are atomic), then moved into place in an order that keeps the
// manifest honest: the old manifest is removed first, every other file is renamed in, files
// of an earlier publication that are no longer part of it are removed, and the new manifest
// is renamed in last. So whenever a manifest is present, every file it names is the one it
// describes (a reader racing a publication can still catch a file replaced after it read the
// manifest: the manifest records each file's sha256 for that check). A kill at any step
// leaves either the old publication whole, or no manifest (rerun to publish again); the
// temporary folder of a dead process is removed by the next publication. Publications into
// one folder are serialised by a lock file that names its holder's pid.

import { randomBytes } from "node:crypto";
import { closeSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, writeSync, constants as fsConstants } from "node:fs";
import path from "node:path";
import { killPoint } from "./killPoint.js";

export interface PublishedFile {
  name: string;
  content: string | Buffer;
}

export interface PublishOptions {
  /**
   * Files of an earlier publication that this one replaces or retires (e.g. /^samples_.*\.jsonl$/),
   * or a test given each name and every name in the folder (run under the lock, after this
   * publication's files are in place but before its manifest).
   */
  owns: RegExp | ((name: string, names: readonly string[]) => boolean);
  /** Longest wait for another process's publication into the same folder, in ms (default 60 s). */
  lockTimeoutMs?: number;
}

const TEMP_PREFIX = ".tmp-";
const LOCK_NAME = ".publish.lock";

/** Whether a process with this pid exists (ours or another user's). */
export function pidAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Removes temporary files and folders of dead processes in `dir`: `.tmp-<pid>-*` (publishing)
 * and `<name>.tmp-<pid>` (single atomic writes). Returns the names removed.
 */
export function removeStaleTemporaries(dir: string): string[] {
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const match = /^\.tmp-(\d+)-/.exec(name) ?? /\.tmp-(\d+)$/.exec(name);
    if (!match || pidAlive(Number(match[1]))) continue;
    rmSync(path.join(dir, name), { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}

function writeDurably(file: string, content: string | Buffer): void {
  const fd = openSync(file, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o644);
  try {
    const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : content;
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written, bytes.length - written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function syncDir(dir: string): void {
  try {
    const fd = openSync(dir, "r");
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Not every file system lets a folder be opened for fsync; renames are atomic all the same.
  }
}

async function acquireLock(dir: string, timeoutMs: number): Promise<() => void> {
  const lock = path.join(dir, LOCK_NAME);
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const fd = openSync(lock, fsConstants.O_WRONLY | fsConstants.O_CREAT | fsConstants.O_EXCL, 0o644);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(lock, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    let holder = NaN;
    try {
      holder = Number(readFileSync(lock, "utf8").trim());
    } catch {
      continue; // released meanwhile
    }
    // A lock whose holder died (or was half-written by one) is taken over.
    if (!pidAlive(holder) || holder === process.pid) {
      rmSync(lock, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`${lock} is held by process ${holder}, which is still publishing into ${dir}; wait for it or use another output folder.`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Publishes `files` and then `manifest` into `dir` (see the top of this file). Returns the
 * paths of the published files, the manifest last.
 */
export async function publishFiles(dir: string, files: readonly PublishedFile[], manifest: PublishedFile, options: PublishOptions): Promise<string[]> {
  mkdirSync(dir, { recursive: true });
  const release = await acquireLock(dir, options.lockTimeoutMs ?? 60_000);
  try {
    removeStaleTemporaries(dir);
    const temp = path.join(dir, `${TEMP_PREFIX}${process.pid}-${randomBytes(6).toString("hex")}`);
    mkdirSync(temp);
    try {
      for (const file of [...files, manifest]) {
        try {
          writeDurably(path.join(temp, file.name), file.content);
        } catch (error) {
          // A failed write (ENOSPC) names no file: name the one being published, so the
          // one-line message says which output could not be written.
          const e = error as NodeJS.ErrnoException;
          if (typeof e === "object" && e !== null) e.path = path.join(dir, file.name);
          throw error;
        }
        killPoint("publish-write");
      }
      syncDir(temp);
      rmSync(path.join(dir, manifest.name), { force: true });
      killPoint("publish-unlinked");
      const names = new Set(files.map((f) => f.name));
      for (const file of files) {
        renameSync(path.join(temp, file.name), path.join(dir, file.name));
        killPoint("publish-rename");
      }
      const present = readdirSync(dir);
      const owns = options.owns;
      const owned = typeof owns === "function" ? (name: string) => owns(name, present) : (name: string) => owns.test(name);
      for (const name of present) {
        if (owned(name) && !names.has(name) && name !== manifest.name) rmSync(path.join(dir, name), { force: true });
      }
      renameSync(path.join(temp, manifest.name), path.join(dir, manifest.name));
      syncDir(dir);
    } finally {
      rmSync(temp, { recursive: true, force: true });
    }
    return [...files.map((f) => path.join(dir, f.name)), path.join(dir, manifest.name)];
  } finally {
    release();
  }
}
