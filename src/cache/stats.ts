// What the cache holds, per settings, for `cache stats`: read with one query over the
// answers and the settings that made them, so the store itself only stores and serves.

import type Database from "better-sqlite3";
import { existsSync, statSync } from "node:fs";
import { databaseFiles } from "./location.js";

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

/** The stats of the open database `db`, whose file is `file`. */
export function readCacheStats(db: Database.Database, file: string): CacheStats {
  const totals = db.prepare("SELECT kind, COUNT(*) AS n FROM answers GROUP BY kind").all() as { kind: string; n: number }[];
  const perSettings = db
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
    file,
    exists: true,
    sizeBytes: databaseFiles(file).reduce((sum, f) => sum + (existsSync(f) ? statSync(f).size : 0), 0),
    answers: ll + gen,
    loglikelihood: ll,
    generate: gen,
    modelFilesHashed: modelFilesHashed(db),
    settings: perSettings.map((s) => ({
      settingsId: s.id,
      description: JSON.parse(s.description) as Record<string, unknown>,
      loglikelihood: s.ll ?? 0,
      generate: s.gen ?? 0,
      lastWrite: s.last === null ? null : new Date(s.last).toISOString(),
    })),
  };
}

function modelFilesHashed(db: Database.Database): number {
  try {
    return (db.prepare("SELECT COUNT(*) AS n FROM model_identity").get() as { n: number }).n;
  } catch {
    return 0; // a file of an older version opened read-only: nothing hashed the new way yet
  }
}
