import { readFileSync } from "node:fs";
import { packageRoot } from "../paths.js";
import path from "node:path";

export interface PublishedModel {
  id: string;
  variant: "foundation" | "instruct";
  tables: string[];
  ja: { averages: { ja_avg: number; ja_7avg: number }; tasks: Record<string, number> } | null;
  en: { averages: { en_avg: number }; tasks: Record<string, number> } | null;
}

export interface PublishedTables {
  source: string;
  metrics: Record<string, string>;
  shots: Record<string, number>;
  models: PublishedModel[];
}

let cached: PublishedTables | undefined;

/** The paper's four tables, stored as data in results/published/paper-tables.json. */
export function publishedTables(): PublishedTables {
  cached ??= JSON.parse(readFileSync(path.join(packageRoot(), "results", "published", "paper-tables.json"), "utf8")) as PublishedTables;
  return cached;
}

export function publishedModel(id: string): PublishedModel | undefined {
  return publishedTables().models.find((m) => m.id === id);
}
