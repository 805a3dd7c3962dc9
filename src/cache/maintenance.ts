// The cache file as a whole, for the `cache stats` and `cache clear` commands: unlike a
// run, these must not create a cache that is not there, and clearing must work on a file
// too damaged to open.

import { existsSync, rmSync, statSync } from "node:fs";
import { UserError } from "../util/errors.js";
import { notAFileKind } from "../util/files.js";
import { cacheFilePath, databaseFiles } from "./location.js";
import type { CacheStats } from "./stats.js";
import { RequestCache, type OpenCacheOptions } from "./store.js";

/** Stats of the cache in `cacheDir` without creating it. */
export function cacheStats(cacheDir: string, options: OpenCacheOptions = {}): CacheStats {
  const file = cacheFilePath(cacheDir);
  if (!existsSync(file)) {
    return { file, exists: false, sizeBytes: 0, answers: 0, loglikelihood: 0, generate: 0, modelFilesHashed: 0, settings: [] };
  }
  const cache = RequestCache.open(cacheDir, options);
  try {
    return cache.stats();
  } finally {
    cache.close();
  }
}

/** Deletes the cache database (and its WAL files); returns the answers it held (null if unreadable). */
export function clearCache(cacheDir: string): { file: string; removed: boolean; answers: number | null } {
  const file = cacheFilePath(cacheDir);
  if (!databaseFiles(file).some((f) => existsSync(f))) return { file, removed: false, answers: 0 };
  // Only files are deleted: a folder (or anything else) in a cache file's place is not ours to remove.
  for (const f of databaseFiles(file)) {
    const kind = existsSync(f) ? notAFileKind(statSync(f)) : null;
    if (kind !== null) throw new UserError("cache", `${f} is ${kind}, not a cache file, so cache clear leaves it; move it out of the way yourself, or use another --cache-dir.`);
  }
  let answers: number | null = null;
  try {
    const cache = RequestCache.open(cacheDir, { readonly: true });
    try {
      answers = cache.count();
    } finally {
      cache.close();
    }
  } catch {
    answers = null; // corrupt: removed all the same
  }
  for (const f of databaseFiles(file)) rmSync(f, { force: true });
  return { file, removed: true, answers };
}
