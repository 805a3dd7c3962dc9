// The persistent request cache: one SQLite file in WAL mode. Each answer is committed
// in its own transaction the moment it is final, so a killed process loses only the
// requests it was computing; WAL with synchronous=NORMAL survives a process kill
// (only a power cut may lose the last transactions, never corrupt the file). Runs that
// share the file see each other's commits; writers queue on SQLite's lock (busy_timeout)
// instead of failing.

import type Database from "better-sqlite3";
import { mkdirSync } from "node:fs";
import type { BackendDescription } from "../api/types.js";
import { ClaimTable } from "./claims.js";
import { openDatabase } from "./database.js";
import { canonicalJson, numberChangingSettings, settingsId, type RequestKind } from "./keys.js";
import { cacheFilePath } from "./location.js";
import { cacheFault } from "./faults.js";
import { UserError } from "../util/errors.js";
import { rememberedModelSha256 } from "./modelHash.js";
import { readCacheStats, type CacheStats } from "./stats.js";

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
  private readonly claims: ClaimTable;

  private constructor(
    readonly file: string,
    db: Database.Database,
  ) {
    this.db = db;
    this.claims = new ClaimTable(db);
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
   * and a new one is started, so a damaged cache never stops a run. A cache that cannot be
   * opened at all (a full disk, a folder in the file's place) throws `UserError("cache")`.
   */
  static open(cacheDir: string, options: OpenCacheOptions = {}): RequestCache {
    const file = cacheFilePath(cacheDir);
    if (!options.readonly) {
      try {
        mkdirSync(cacheDir, { recursive: true });
      } catch (error) {
        throw cacheFault(file, error);
      }
    }
    return openDatabase(file, options.readonly === true, options.warn, (db) => new RequestCache(file, db));
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
    this.claims.claim(settings, kind, keys);
  }

  /** The keys among `keys` that another live run has claimed and not yet answered. */
  claimedByOthers(settings: string, kind: RequestKind, keys: readonly string[]): Set<string> {
    return this.claims.claimedByOthers(settings, kind, keys);
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

  /** The model file's sha256, remembered in this cache while the file is unchanged (see modelHash.ts). */
  async modelSha256(modelPath: string): Promise<string> {
    try {
      return await rememberedModelSha256(this.db, modelPath);
    } catch (error) {
      // The model's own problems are the user's input; the cache's (a disk that filled up) are named as such.
      if (error instanceof UserError || (error as { code?: unknown }).code?.toString().startsWith("SQLITE") !== true) throw error;
      throw cacheFault(this.file, error);
    }
  }

  stats(): CacheStats {
    return readCacheStats(this.db, this.file);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.claims.release();
    this.db.close();
  }
}
