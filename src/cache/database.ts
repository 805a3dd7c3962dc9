// Opening the cache's SQLite file: the pragmas that let runs share it and survive a kill,
// the schema, the checks that tell a damaged file from a usable one, and moving a damaged
// file aside so that it never stops a run. Any other failure to open (a full disk, a folder
// where the file should be) is one line naming the file, the cause and the fix (./faults.ts). The store builds on the connection this opens.

import Database from "better-sqlite3";
import { existsSync, renameSync } from "node:fs";
import { databaseFiles } from "./location.js";
import { oneLine } from "../util/oneLine.js";
import { UserError } from "../util/errors.js";
import { cacheFault } from "./faults.js";

const SCHEMA_VERSION = "1";

/** Error codes and messages that mean the file is not a usable SQLite database. */
export function isCorruptionError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (code === "SQLITE_CORRUPT" || code === "SQLITE_NOTADB" || (typeof code === "string" && code.startsWith("SQLITE_CORRUPT"))) return true;
  const message = error instanceof Error ? error.message : String(error);
  return /malformed|not a database|file is encrypted|schema of the request cache/i.test(message);
}

/**
 * Opens (creating when needed) the database `file` and hands the connection to `use`. A
 * file that is not a readable database is renamed to `requests.sqlite.corrupt-<time>` with
 * a warning and a new one is started (not when `readonly`: then the error is thrown).
 */
export function openDatabase<T>(file: string, readonly: boolean, warn: ((line: string) => void) | undefined, use: (db: Database.Database) => T): T {
  try {
    return openCheckedDatabase(file, readonly, use);
  } catch (error) {
    if (error instanceof UserError) throw error;
    if (!isCorruptionError(error)) throw cacheFault(file, error);
    if (readonly) throw error;
    const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, "-")}`;
    try {
      for (const f of databaseFiles(file)) {
        const target = f === file ? aside : aside + f.slice(file.length);
        if (existsSync(f)) renameSync(f, target);
      }
    } catch (moveError) {
      throw cacheFault(file, moveError);
    }
    warn?.(
      `warning: the request cache ${file} is corrupt (${oneLine(error)}); moved it to ${aside} and started an empty one. Delete the old file once you no longer need it.`,
    );
    try {
      return openCheckedDatabase(file, false, use);
    } catch (again) {
      throw again instanceof UserError ? again : cacheFault(file, again);
    }
  }
}

/**
 * Opens `file` (read-only: an existing file, nothing created), creates the tables when
 * writable, checks the schema version and every page, and hands the connection to `use`.
 * The connection is closed if any of that, `use` included, throws.
 */
function openCheckedDatabase<T>(file: string, readonly: boolean, use: (db: Database.Database) => T): T {
  const db = new Database(file, readonly ? { readonly: true, fileMustExist: true } : {});
  try {
    // Runs sharing the file queue for its write lock instead of failing.
    db.pragma("busy_timeout = 60000");
    if (!readonly) {
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.exec(`
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS settings (id TEXT PRIMARY KEY, description TEXT NOT NULL, created_at INTEGER NOT NULL);
        CREATE TABLE IF NOT EXISTS answers (
          settings_id TEXT NOT NULL,
          kind TEXT NOT NULL,
          request_key TEXT NOT NULL,
          response TEXT NOT NULL,
          created_at INTEGER NOT NULL,
          PRIMARY KEY (settings_id, kind, request_key)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS model_files (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ms REAL NOT NULL, sha256 TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS claims (
          settings_id TEXT NOT NULL,
          kind TEXT NOT NULL,
          request_key TEXT NOT NULL,
          owner TEXT NOT NULL,
          host TEXT NOT NULL,
          pid INTEGER NOT NULL,
          claimed_at INTEGER NOT NULL,
          PRIMARY KEY (settings_id, kind, request_key)
        ) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS model_identity (
          path TEXT PRIMARY KEY,
          identity TEXT NOT NULL,
          fingerprint TEXT NOT NULL,
          sha256 TEXT NOT NULL
        );
      `);
      db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)").run(SCHEMA_VERSION);
    }
    const schema = db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as { value: string } | undefined;
    if (schema?.value !== SCHEMA_VERSION) throw new Error(`the schema of the request cache is ${schema?.value ?? "unknown"}, expected ${SCHEMA_VERSION}`);
    // Reads every page once: a damaged page is found now, not halfway through a run.
    const check = db.pragma("quick_check(1)", { simple: true });
    if (check !== "ok") throw Object.assign(new Error(`integrity check: ${String(check)}`), { code: "SQLITE_CORRUPT" });
    return use(db);
  } catch (error) {
    db.close();
    throw error;
  }
}

