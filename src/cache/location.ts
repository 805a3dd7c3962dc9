// Where the request cache lives: the folder, the database file in it and the WAL files
// beside it. Kept apart from the store so that the commands that only name or check the
// folder (`run`'s input checks, `cache stats`, `cache clear`) need not open a database.

import os from "node:os";
import path from "node:path";

/** The database file's name inside the cache folder (datasets may share the folder). */
export const CACHE_FILE_NAME = "requests.sqlite";

/** `$XDG_CACHE_HOME/rakuten-eval`, else `~/.cache/rakuten-eval`. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env["XDG_CACHE_HOME"]?.trim();
  const base = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), ".cache");
  return path.join(base, "rakuten-eval");
}

export function cacheFilePath(cacheDir: string): string {
  return path.join(cacheDir, CACHE_FILE_NAME);
}

/** The database file and its WAL companions. */
export function databaseFiles(file: string): string[] {
  return [file, `${file}-wal`, `${file}-shm`];
}
