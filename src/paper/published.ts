// The figures the paper prints (Tables 1-4), stored as data in results/published/paper-tables.json,
// and how a column or an average of the suite module is looked up in them.

import { readFileSync } from "node:fs";
import { packageRoot } from "../util/paths.js";
import path from "node:path";
import { REFERENCE_MODELS, type PaperAverage, type ReferenceModelId } from "./suites.js";

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

/** A model's printed figure for a paper column (either suite); undefined when its tables lack it. */
export function publishedColumn(model: PublishedModel | undefined, key: string): number | undefined {
  return model?.ja?.tasks[key] ?? model?.en?.tasks[key];
}

/** A model's printed figure for one of the paper's averages; undefined when its tables lack it. */
export function publishedAverage(model: PublishedModel | undefined, average: Pick<PaperAverage, "id" | "suite">): number | undefined {
  const averages: Readonly<Record<string, number>> | undefined = model?.[average.suite]?.averages;
  return averages?.[average.id];
}

/** The paper's own two rows' figures for one column or average, as results documents quote them. */
export type ReferenceFigures = Record<ReferenceModelId, number | null>;

export function referenceFigures(figure: (model: PublishedModel | undefined) => number | undefined): ReferenceFigures {
  return Object.fromEntries(REFERENCE_MODELS.map((id) => [id, figure(publishedModel(id)) ?? null])) as ReferenceFigures;
}
