// What `rakuten-eval report` shows, independent of the output format: per suite, the paper's
// columns and averages, and one series of scores per run and per published model.

import { allColumns, columnOf, MMLU_GROUP, PAPER_AVERAGES, PAPER_SUITES, SUITE_IDS, suiteColumnKeys, type SuiteId } from "../paper/suites.js";
import type { RunScores } from "../results/read.js";

export interface ReportColumn {
  /** Paper column key or average id. */
  key: string;
  label: string;
  kind: "task" | "average";
  metric: string;
  /** The paper's shots (task columns). */
  shots: number | null;
}

export interface ReportSeries {
  label: string;
  kind: RunScores["kind"];
  /** One per column, 0-100; null when the series has no score there. */
  values: (number | null)[];
  /** One per column, 0-100; null when unknown. */
  stderr: (number | null)[];
  /** Task names behind the values (a run may use a variant of the paper's task). */
  tasks: (string | null)[];
  /** Shots behind the values; null for averages and unknown. */
  shots: (number | null)[];
}

export interface ReportSuite {
  id: SuiteId;
  title: string;
  columns: ReportColumn[];
  series: ReportSeries[];
}

export interface ReportRun {
  label: string;
  source: string;
  model: string | null;
  modelSha256: string | null;
  date: string | null;
  engine: string | null;
  limit: number | null;
  /** False when the run was interrupted (rakuten_eval.complete false). */
  complete: boolean;
  /** Why the run's scores are not comparable with the paper's (empty when they are). */
  notComparable: string[];
  notes: string[];
}

/** Extra tasks (not paper columns) of the runs. */
export interface ReportExtraRow {
  run: string;
  task: string;
  metric: string;
  score: number;
  stderr: number | null;
  n: number | null;
}

export interface ReportModel {
  title: string;
  generated: string;
  runs: ReportRun[];
  suites: ReportSuite[];
  extras: ReportExtraRow[];
}

function seriesFor(run: RunScores, columns: ReportColumn[]): ReportSeries {
  return {
    label: run.label,
    kind: run.kind,
    values: columns.map((c) =>
      c.kind === "average" ? run.averages.find((a) => a.id === c.key)?.value ?? null : run.rows.find((r) => r.key === c.key)?.score ?? null,
    ),
    stderr: columns.map((c) => (c.kind === "average" ? null : run.rows.find((r) => r.key === c.key)?.stderr ?? null)),
    tasks: columns.map((c) => (c.kind === "average" ? null : run.rows.find((r) => r.key === c.key)?.task ?? null)),
    shots: columns.map((c) => (c.kind === "average" ? null : run.rows.find((r) => r.key === c.key)?.shots ?? null)),
  };
}

/** Why a run's scores cannot stand beside the paper's: --limit, an interrupted run, other shots or tasks, stand-in data. */
export function notComparableWithPaper(run: RunScores): string[] {
  if (run.kind !== "run") return [];
  const out: string[] = [];
  const limit = run.doc?.config.limit;
  if (typeof limit === "number") out.push(`--limit ${limit}`);
  if (run.doc?.rakuten_eval.complete === false) out.push("incomplete run");
  const shard = run.doc?.rakuten_eval.shard;
  if (shard) out.push(`shard ${shard.index}/${shard.count} only (merge the shards)`);
  for (const row of run.rows) {
    const column = columnOf(row.key);
    if (!column) continue;
    if (row.shots !== column.shots) out.push(`${column.label} ${row.shots}-shot (paper ${column.shots})`);
    if (row.key !== MMLU_GROUP && row.task !== column.task) out.push(`${column.label} as ${row.task} (paper ${column.task})`);
  }
  if (run.doc?.rakuten_eval.summary.some((r) => r.partialData)) out.push("partial stand-in data");
  return out;
}

/**
 * Suites that any run has a score in, each with every paper column and average (so the
 * published figures are shown in full beside a partial run).
 */
export function buildReportModel(runs: RunScores[], published: RunScores[], generated: string, title = "rakuten-eval report"): ReportModel {
  const suites: ReportSuite[] = [];
  for (const id of SUITE_IDS) {
    const keys = suiteColumnKeys(id);
    const touched = runs.some((r) => r.rows.some((row) => keys.includes(row.key)));
    if (!touched) continue;
    const columns: ReportColumn[] = [
      ...PAPER_SUITES[id].columns.map((c) => ({ key: c.key, label: c.label, kind: "task" as const, metric: c.metric, shots: c.shots })),
      ...PAPER_AVERAGES.filter((a) => a.suite === id).map((a) => ({ key: a.id, label: a.label, kind: "average" as const, metric: "mean", shots: null })),
    ];
    suites.push({ id, title: PAPER_SUITES[id].tablesTitle, columns, series: [...runs, ...published].map((r) => seriesFor(r, columns)) });
  }
  const paperKeys = new Set(allColumns().map((c) => c.key));
  const extras: ReportExtraRow[] = [];
  for (const r of runs) {
    for (const row of r.rows) {
      if (!paperKeys.has(row.key)) extras.push({ run: r.label, task: row.task, metric: row.metric, score: row.score, stderr: row.stderr, n: row.n });
    }
  }
  return {
    title,
    generated,
    runs: runs.map((r) => {
      const engine = r.doc?.rakuten_eval.engine;
      const limit = r.doc?.config.limit;
      return {
        label: r.label,
        source: r.source,
        model: engine?.modelPath ?? null,
        modelSha256: engine?.modelSha256 ?? null,
        date: r.doc?.date ?? null,
        engine: engine ? `${engine.engine} ${engine.engineVersion}` : null,
        limit: typeof limit === "number" ? limit : null,
        complete: r.doc?.rakuten_eval.complete !== false,
        notComparable: notComparableWithPaper(r),
        notes: r.notes,
      };
    }),
    suites,
    extras,
  };
}
