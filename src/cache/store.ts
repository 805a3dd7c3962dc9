// The persistent request cache: one SQLite file in WAL mode. Each answer is committed
// in its own transaction the moment it is final, so a killed process loses only the
// requests it was computing; WAL with synchronous=NORMAL survives a process kill
// (only a power cut may lose the last transactions, never corrupt the file). Runs that
// share the file see each other's commits; writers queue on SQLite's lock (busy_timeout)
// instead of failing.

import Database from "better-sqlite3";
import { createHash, randomBytes } from "node:crypto";
import { closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync, renameSync, statSync, accessSync, constants as fsConstants, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { BackendDescription } from "../api/types.js";
import { sha256File } from "../util/files.js";
import { pidAlive } from "../util/publish.js";
import { canonicalJson, numberChangingSettings, settingsId, type RequestKind } from "./keys.js";

/** The database file's name inside the cache folder (datasets may share the folder). */
export const CACHE_FILE_NAME = "requests.sqlite";
const SCHEMA_VERSION = "1";
/** How long a claim made on another machine (a cache on a shared file system) is honoured. */
const CLAIM_LIFETIME_MS = 60 * 60 * 1000;

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
function databaseFiles(file: string): string[] {
  return [file, `${file}-wal`, `${file}-shm`];
}

/** Error codes and messages that mean the file is not a usable SQLite database. */
export function isCorruptionError(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  if (code === "SQLITE_CORRUPT" || code === "SQLITE_NOTADB" || (typeof code === "string" && code.startsWith("SQLITE_CORRUPT"))) return true;
  const message = error instanceof Error ? error.message : String(error);
  return /malformed|not a database|file is encrypted|schema of the request cache/i.test(message);
}

export interface CacheSettingsStats {
  settingsId: string;
  /** The description the answers were computed with (model path as it was then). */
  description: Record<string, unknown>;
  loglikelihood: number;
  generate: number;
  lastWrite: string | null;
}

export interface CacheStats {
  file: string;
  exists: boolean;
  sizeBytes: number;
  answers: number;
  loglikelihood: number;
  generate: number;
  modelFilesHashed: number;
  settings: CacheSettingsStats[];
}

export interface OpenCacheOptions {
  /** Warnings (a corrupt file moved aside); silent when absent. */
  warn?: (line: string) => void;
  /** Open an existing file read-only (stats); a missing file is not created. */
  readonly?: boolean;
}

export class RequestCache {
  private readonly db: Database.Database;
  private closed = false;
  private readonly getAnswer: Database.Statement<[string, string, string], { response: string }>;
  private readonly putAnswer: Database.Statement<[string, string, string, string, number]>;
  private readonly putMany: (settings: string, kind: RequestKind, entries: readonly (readonly [string, string])[]) => void;
  private claimStatements:
    | { get: Database.Statement<[string, string, string], { owner: string; host: string; pid: number; claimed_at: number }>; putMany: (settings: string, kind: RequestKind, keys: readonly string[]) => void }
    | undefined;
  /** This connection's name in the claims table. */
  private readonly owner = `${os.hostname()}:${process.pid}:${randomBytes(6).toString("hex")}`;

  private constructor(
    readonly file: string,
    db: Database.Database,
  ) {
    this.db = db;
    this.getAnswer = db.prepare("SELECT response FROM answers WHERE settings_id = ? AND kind = ? AND request_key = ?");
    // The first answer stored for a key stays: a concurrent run that computed it too does not rewrite it.
    this.putAnswer = db.prepare("INSERT OR IGNORE INTO answers (settings_id, kind, request_key, response, created_at) VALUES (?, ?, ?, ?, ?)");
    this.putMany = db.transaction((settings: string, kind: RequestKind, entries: readonly (readonly [string, string])[]) => {
      const now = Date.now();
      for (const [key, response] of entries) this.putAnswer.run(settings, kind, key, response, now);
    });
  }

  /**
   * Opens (creating when needed) the cache in `cacheDir`. A file that is not a
   * readable database is renamed to `requests.sqlite.corrupt-<time>` with a warning
   * and a new one is started, so a damaged cache never stops a run.
   */
  static open(cacheDir: string, options: OpenCacheOptions = {}): RequestCache {
    const file = cacheFilePath(cacheDir);
    if (!options.readonly) mkdirSync(cacheDir, { recursive: true });
    try {
      return RequestCache.openFile(file, options.readonly === true);
    } catch (error) {
      if (!isCorruptionError(error) || options.readonly) throw error;
      const aside = `${file}.corrupt-${new Date().toISOString().replace(/[:.]/g, "-")}`;
      for (const f of databaseFiles(file)) {
        const target = f === file ? aside : aside + f.slice(file.length);
        if (existsSync(f)) renameSync(f, target);
      }
      options.warn?.(
        `warning: the request cache ${file} is corrupt (${oneLine(error)}); moved it to ${aside} and started an empty one. Delete the old file once you no longer need it.`,
      );
      return RequestCache.openFile(file, false);
    }
  }

  private static openFile(file: string, readonly: boolean): RequestCache {
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
      return new RequestCache(file, db);
    } catch (error) {
      db.close();
      throw error;
    }
  }

  /** Registers a settings description and returns its id. */
  registerSettings(description: BackendDescription): string {
    const id = settingsId(description);
    this.db
      .prepare("INSERT OR IGNORE INTO settings (id, description, created_at) VALUES (?, ?, ?)")
      .run(id, canonicalJson({ ...numberChangingSettings(description), modelPath: description.modelPath }), Date.now());
    return id;
  }

  /** The stored response text, or undefined. */
  get(settings: string, kind: RequestKind, key: string): string | undefined {
    return this.getAnswer.get(settings, kind, key)?.response;
  }

  /** Commits one answer (its own transaction); true once it is on disk (or already was). */
  put(settings: string, kind: RequestKind, key: string, response: string): boolean {
    this.putAnswer.run(settings, kind, key, response, Date.now());
    return true;
  }

  /**
   * Marks requests as being computed by this connection, so that a run sharing the cache
   * computes other requests first (see CachingBackend). A claim is only a hint: answers are
   * what count, and a claim of a process that died is ignored.
   */
  claim(settings: string, kind: RequestKind, keys: readonly string[]): void {
    if (keys.length > 0) this.claims().putMany(settings, kind, keys);
  }

  // Prepared on first use: a read-only connection to an older file (cache stats) has no claims table.
  private claims(): NonNullable<RequestCache["claimStatements"]> {
    if (this.claimStatements === undefined) {
      const put = this.db.prepare("INSERT OR REPLACE INTO claims (settings_id, kind, request_key, owner, host, pid, claimed_at) VALUES (?, ?, ?, ?, ?, ?, ?)");
      this.claimStatements = {
        get: this.db.prepare("SELECT owner, host, pid, claimed_at FROM claims WHERE settings_id = ? AND kind = ? AND request_key = ?"),
        putMany: this.db.transaction((settings: string, kind: RequestKind, keys: readonly string[]) => {
          const now = Date.now();
          for (const key of keys) put.run(settings, kind, key, this.owner, os.hostname(), process.pid, now);
        }),
      };
    }
    return this.claimStatements;
  }

  /** The keys among `keys` that another live run has claimed and not yet answered. */
  claimedByOthers(settings: string, kind: RequestKind, keys: readonly string[]): Set<string> {
    const out = new Set<string>();
    const now = Date.now();
    for (const key of keys) {
      const row = this.claims().get.get(settings, kind, key);
      if (!row || row.owner === this.owner) continue;
      // On this machine a claim lasts while its process lives; from another one, an hour.
      const live = row.host === os.hostname() ? pidAlive(row.pid) : now - row.claimed_at < CLAIM_LIFETIME_MS;
      if (live) out.add(key);
    }
    return out;
  }

  /** Stores answers in one transaction. */
  putAll(settings: string, kind: RequestKind, entries: readonly (readonly [string, string])[]): void {
    if (entries.length > 0) this.putMany(settings, kind, entries);
  }

  /** Answers stored under `settings` (and `kind`, when given). */
  count(settings?: string, kind?: RequestKind): number {
    const where: string[] = [];
    const args: string[] = [];
    if (settings !== undefined) (where.push("settings_id = ?"), args.push(settings));
    if (kind !== undefined) (where.push("kind = ?"), args.push(kind));
    const sql = `SELECT COUNT(*) AS n FROM answers${where.length ? ` WHERE ${where.join(" AND ")}` : ""}`;
    return (this.db.prepare(sql).get(...args) as { n: number }).n;
  }

  /**
   * The model file's sha256, hashed once and remembered by absolute path together with the
   * file's identity (device, inode, size, mtime and ctime in nanoseconds) and a content
   * fingerprint (size, first and last MiB) that is read again on every run. A file replaced
   * in any way (a new inode from a rename or `rsync`, a write in place, which moves ctime
   * even when `cp -p` or `touch` restores mtime, or other bytes at either end) is hashed again.
   */
  async modelSha256(modelPath: string): Promise<string> {
    const absolute = path.resolve(modelPath);
    const identity = fileIdentity(absolute);
    const fingerprint = contentFingerprint(absolute);
    const row = this.db.prepare("SELECT identity, fingerprint, sha256 FROM model_identity WHERE path = ?").get(absolute) as
      | { identity: string; fingerprint: string; sha256: string }
      | undefined;
    if (row && row.identity === identity && row.fingerprint === fingerprint) return row.sha256;
    const sha256 = await sha256File(absolute);
    // Remembered only if the file did not change while it was hashed.
    if (fileIdentity(absolute) === identity && contentFingerprint(absolute) === fingerprint) {
      this.db.prepare("INSERT OR REPLACE INTO model_identity (path, identity, fingerprint, sha256) VALUES (?, ?, ?, ?)").run(absolute, identity, fingerprint, sha256);
    }
    return sha256;
  }

  stats(): CacheStats {
    const totals = this.db.prepare("SELECT kind, COUNT(*) AS n FROM answers GROUP BY kind").all() as { kind: string; n: number }[];
    const perSettings = this.db
      .prepare(
        `SELECT s.id AS id, s.description AS description,
                SUM(CASE WHEN a.kind = 'loglikelihood' THEN 1 ELSE 0 END) AS ll,
                SUM(CASE WHEN a.kind = 'generate' THEN 1 ELSE 0 END) AS gen,
                MAX(a.created_at) AS last
           FROM settings s LEFT JOIN answers a ON a.settings_id = s.id
          GROUP BY s.id ORDER BY MIN(s.rowid)`,
      )
      .all() as { id: string; description: string; ll: number | null; gen: number | null; last: number | null }[];
    const ll = totals.find((t) => t.kind === "loglikelihood")?.n ?? 0;
    const gen = totals.find((t) => t.kind === "generate")?.n ?? 0;
    return {
      file: this.file,
      exists: true,
      sizeBytes: databaseFiles(this.file).reduce((sum, f) => sum + (existsSync(f) ? statSync(f).size : 0), 0),
      answers: ll + gen,
      loglikelihood: ll,
      generate: gen,
      modelFilesHashed: this.modelFilesHashed(),
      settings: perSettings.map((s) => ({
        settingsId: s.id,
        description: JSON.parse(s.description) as Record<string, unknown>,
        loglikelihood: s.ll ?? 0,
        generate: s.gen ?? 0,
        lastWrite: s.last === null ? null : new Date(s.last).toISOString(),
      })),
    };
  }

  private modelFilesHashed(): number {
    try {
      return (this.db.prepare("SELECT COUNT(*) AS n FROM model_identity").get() as { n: number }).n;
    } catch {
      return 0; // a file of an older version opened read-only: nothing hashed the new way yet
    }
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      if (this.claimStatements !== undefined) this.db.prepare("DELETE FROM claims WHERE owner = ?").run(this.owner);
    } catch {
      // A claim left behind is ignored once this process has exited.
    }
    this.db.close();
  }
}

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

/** Null when a cache can be created in `cacheDir`, else why not. */
export function cacheDirProblem(cacheDir: string): string | null {
  try {
    mkdirSync(cacheDir, { recursive: true });
    accessSync(cacheDir, fsConstants.W_OK);
    return null;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? oneLine(error);
  }
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

function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ").trim();
}
