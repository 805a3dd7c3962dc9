// What `rakuten-eval report` shows, independent of the output format: per suite, the paper's
// columns and averages, and one series of scores per run and per published model.

import path from "node:path";
import { zForAlpha, type Interval } from "../compare/stats.js";
import { allColumns, columnOf, MMLU_GROUP, PAPER_AVERAGES, PAPER_SUITES, SUITE_IDS, suiteColumnKeys, type SuiteId } from "../paper/suites.js";
import type { RunScores, ScoreRow } from "../results/read.js";
import { isoDateOf } from "../results/types.js";

/** Metrics whose per-doc values are 0/1: a published figure's standard error follows from its doc count. */
const BINARY_METRICS = new Set(["acc", "acc_norm", "exact_match", "mc1"]);
const Z95 = zForAlpha(0.05);

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
  /**
   * The 95% interval of each value (value ± 1.96 standard errors, clipped to 0-100); null when no
   * standard error is known. Published figures: the binomial standard error from the paper's doc
   * count, for 0/1 metrics. Averages: from the columns' standard errors (independent tasks).
   */
  interval: (Interval | null)[];
  /** True where the score uses partial stand-in data. */
  partial: boolean[];
  /** A run whose scores cannot stand beside the paper's (see ReportRun.notComparable). */
  notComparable: boolean;
}

export interface ReportSuite {
  id: SuiteId;
  title: string;
  columns: ReportColumn[];
  series: ReportSeries[];
}

export interface ReportRun {
  label: string;
  /** The results file, shortened to its folder and name (no absolute paths in reports). */
  source: string;
  /** The model's file name (no folders). */
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
  shots: number;
}

export interface ReportModel {
  title: string;
  generated: string;
  runs: ReportRun[];
  suites: ReportSuite[];
  extras: ReportExtraRow[];
}

/** Standard error (0-100) of a published figure of a 0/1 metric: sqrt(p(1-p)/n). */
function publishedStderr(row: ScoreRow): number | null {
  if (!BINARY_METRICS.has(row.metric) || row.n === null || row.n <= 0) return null;
  const p = row.score / 100;
  return Math.sqrt((p * (1 - p)) / row.n) * 100;
}

function interval(value: number | null, stderr: number | null): Interval | null {
  if (value === null || stderr === null) return null;
  return [Math.max(0, value - Z95 * stderr), Math.min(100, value + Z95 * stderr)];
}

function seriesFor(run: RunScores, columns: ReportColumn[]): ReportSeries {
  const rowOf = (key: string) => run.rows.find((r) => r.key === key);
  const stderrOf = (key: string): number | null => {
    const row = rowOf(key);
    if (!row) return null;
    return run.kind === "published" ? publishedStderr(row) : row.stderr;
  };
  const partialKeys = new Set((run.doc?.rakuten_eval.summary ?? []).filter((r) => r.partialData).map((r) => r.key));
  const values = columns.map((c) => (c.kind === "average" ? run.averages.find((a) => a.id === c.key)?.value ?? null : rowOf(c.key)?.score ?? null));
  // Recorded standard errors, as the tables show them (runs' task scores only).
  const stderr = columns.map((c) => (c.kind === "average" || run.kind === "published" ? null : rowOf(c.key)?.stderr ?? null));
  // What the intervals are drawn from: also the published figures' binomial and the averages' combined ones.
  const intervalStderr = columns.map((c) => {
    if (c.kind === "task") return stderrOf(c.key);
    // The mean of k independent task scores: sqrt(sum of se^2) / k.
    const average = run.averages.find((a) => a.id === c.key);
    if (!average || average.value === null) return null;
    const parts = average.columns.map(stderrOf);
    if (parts.length === 0 || parts.some((p) => p === null)) return null;
    return Math.sqrt(parts.reduce<number>((sum, p) => sum + (p ?? 0) ** 2, 0)) / parts.length;
  });
  return {
    label: run.label,
    kind: run.kind,
    values,
    stderr,
    tasks: columns.map((c) => (c.kind === "average" ? null : rowOf(c.key)?.task ?? null)),
    shots: columns.map((c) => (c.kind === "average" ? null : rowOf(c.key)?.shots ?? null)),
    interval: values.map((v, i) => interval(v, intervalStderr[i] ?? null)),
    partial: columns.map((c) =>
      c.kind === "average" ? (PAPER_AVERAGES.find((a) => a.id === c.key)?.columns ?? []).some((k) => partialKeys.has(k)) : partialKeys.has(c.key),
    ),
    notComparable: notComparableWithPaper(run).length > 0,
  };
}

/** A results file as a report names it: its folder and file name, never an absolute path. */
export function shortSource(source: string): string {
  if (source.startsWith("published:")) return source;
  return path.posix.join(path.basename(path.dirname(path.resolve(source))), path.basename(source));
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
      if (!paperKeys.has(row.key)) extras.push({ run: r.label, task: row.task, metric: row.metric, score: row.score, stderr: row.stderr, n: row.n, shots: row.shots });
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
        source: shortSource(r.source),
        model: engine?.modelPath ? path.basename(engine.modelPath) : null,
        modelSha256: engine?.modelSha256 ?? null,
        date: r.doc ? isoDateOf(r.doc) : null,
        // The CPU kernels too: they move log-likelihoods in their last bits.
        engine: engine ? `${engine.engine} ${engine.engineVersion}${typeof engine["cpuVariant"] === "string" ? `, CPU kernels ${engine["cpuVariant"]}` : ""}` : null,
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
