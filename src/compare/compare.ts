// Compare a new run against a baseline (another run or the paper's figures), per paper
// column and per suite average, and decide the regression gate.
//
// Paired when possible: two runs that scored the same docs of the same task are compared doc
// by doc (exact McNemar for 0/1 metrics, a seeded paired bootstrap otherwise). Testing paired
// data as if it were two independent samples — what the peers' comparison scripts do —
// overstates the noise and hides real regressions, so the unpaired tests are only the fallback
// for a published baseline (no per-doc results) or runs over different docs.

import { UserError } from "../errors.js";
import { columnOf, PAPER_AVERAGES, SUITE_IDS, suiteColumnKeys, suiteOfColumn, type PaperAverage, type SuiteId } from "../paper/suites.js";
import type { RunScores } from "../results/read.js";
import { pairTask } from "./pairing.js";
import { meanOfIndependentDifferences, normalDifference, type Interval } from "./stats.js";
import { pairedTest, unpairedTest, withSampleSe, type TestKind } from "./tests.js";

export type { TestKind };

export interface CompareOptions {
  /** Significance level; the intervals are (1 - alpha) intervals. */
  alpha: number;
  /** Largest allowed drop in points (new below baseline), per task and per average. */
  maxDrop: number;
  /** Overrides by task name, paper column key or average id. */
  maxDropTask: Record<string, number>;
  bootstrapIterations: number;
  seed: number;
}

export const DEFAULT_COMPARE_OPTIONS: CompareOptions = { alpha: 0.05, maxDrop: 0, maxDropTask: {}, bootstrapIterations: 10000, seed: 1234 };

export interface ComparisonRow {
  kind: "task" | "average";
  /** Paper column key, extra task name, or average id. */
  key: string;
  label: string;
  suite: SuiteId | "other";
  tasks: { new: string | null; baseline: string | null };
  metric: string;
  /** 0-100 */
  newScore: number | null;
  baselineScore: number | null;
  /** new - baseline, in points. */
  diff: number | null;
  /** (1 - alpha) interval of the difference, in points. */
  ci: Interval | null;
  /** Standard error of the difference, in points. */
  se: number | null;
  pValue: number | null;
  test: TestKind;
  paired: boolean;
  n: { new: number | null; baseline: number | null };
  /** McNemar's discordant docs: right only in the new run / only in the baseline. */
  discordant?: { newOnly: number; baselineOnly: number };
  maxDrop: number;
  significant: boolean;
  /** Dropped by more than maxDrop and significant. */
  failed: boolean;
  notes: string[];
}

export interface Comparison {
  new: { label: string; source: string };
  baseline: { label: string; source: string; kind: RunScores["kind"] };
  alpha: number;
  maxDrop: number;
  maxDropTask: Record<string, number>;
  bootstrap: { iterations: number; seed: number };
  rows: ComparisonRow[];
  /** True when any row failed the gate. */
  failed: boolean;
  notes: string[];
}

/** The allowed drop of a row: a per-task override (task name, column key or average id) or the default. */
function maxDropFor(keys: (string | null)[], options: CompareOptions): number {
  for (const k of keys) if (k !== null && options.maxDropTask[k] !== undefined) return options.maxDropTask[k]!;
  return options.maxDrop;
}

function gate(row: Omit<ComparisonRow, "significant" | "failed">, alpha: number): ComparisonRow {
  const significant = row.pValue !== null && row.pValue < alpha;
  const dropped = row.diff !== null && -row.diff > row.maxDrop;
  return { ...row, significant, failed: significant && dropped };
}

function compareTaskRow(key: string, newRun: RunScores, baseRun: RunScores, options: CompareOptions): ComparisonRow {
  const newRow0 = newRun.rows.find((r) => r.key === key) ?? null;
  const baseRow0 = baseRun.rows.find((r) => r.key === key) ?? null;
  const notes: string[] = [];
  const base = {
    kind: "task" as const,
    key,
    label: columnOf(key)?.label ?? key,
    suite: suiteOfColumn(key),
    tasks: { new: newRow0?.task ?? null, baseline: baseRow0?.task ?? null },
    metric: newRow0?.metric ?? baseRow0?.metric ?? "",
    newScore: newRow0?.score ?? null,
    baselineScore: baseRow0?.score ?? null,
    n: { new: newRow0?.n ?? null, baseline: baseRow0?.n ?? null },
    maxDrop: maxDropFor([newRow0?.task ?? null, baseRow0?.task ?? null, key], options),
  };
  if (!newRow0 || !baseRow0) {
    notes.push(newRow0 ? "not in the baseline" : "not in the new run");
    return gate({ ...base, diff: null, ci: null, se: null, pValue: null, test: "none", paired: false, notes }, options.alpha);
  }
  if (newRow0.metric !== baseRow0.metric) notes.push(`different metrics (${baseRow0.metric} → ${newRow0.metric})`);
  const pairing = pairTask(newRun, baseRun, newRow0, baseRow0, notes);
  const outcome = pairing
    ? pairedTest(pairing, newRow0.metric, options, notes)
    : unpairedTest(withSampleSe(newRun, newRow0), withSampleSe(baseRun, baseRow0), baseRun.kind, options, notes);
  const diff = newRow0.score - baseRow0.score;
  return gate(
    {
      ...base,
      diff,
      ci: outcome.estimate?.ci ?? null,
      se: outcome.estimate?.se ?? null,
      pValue: outcome.estimate?.pValue ?? null,
      test: outcome.test,
      paired: outcome.paired,
      ...(outcome.discordant ? { discordant: outcome.discordant } : {}),
      notes,
    },
    options.alpha,
  );
}

function compareAverageRow(
  def: PaperAverage,
  newRun: RunScores,
  baseRun: RunScores,
  taskRows: ComparisonRow[],
  options: CompareOptions,
): ComparisonRow | null {
  const a = newRun.averages.find((x) => x.id === def.id);
  const b = baseRun.averages.find((x) => x.id === def.id);
  if (!a && !b) return null;
  const notes: string[] = [];
  const newScore = a?.value ?? null;
  const baselineScore = b?.value ?? null;
  const row = {
    kind: "average" as const,
    key: def.id,
    label: def.label,
    suite: def.suite,
    tasks: { new: null, baseline: null },
    metric: "mean",
    newScore,
    baselineScore,
    n: { new: null, baseline: null },
    maxDrop: maxDropFor([def.id], options),
  };
  if (newScore === null || baselineScore === null) {
    notes.push(`${newScore === null ? "the new run" : "the baseline"} has no value for this average (a column is missing)`);
    return gate({ ...row, diff: null, ci: null, se: null, pValue: null, test: "none", paired: false, notes }, options.alpha);
  }
  const diff = newScore - baselineScore;
  const parts = def.columns.map((k) => taskRows.find((r) => r.key === k));
  if (parts.some((p) => !p || p.se === null || p.diff === null)) {
    notes.push("a column has no standard error; average not tested");
    return gate({ ...row, diff, ci: null, se: null, pValue: null, test: "none", paired: false, notes }, options.alpha);
  }
  // The tasks are independent datasets, so the variance of the mean difference is the sum of
  // the columns' variances over k².
  const combined = meanOfIndependentDifferences(parts.map((p) => ({ diff: p!.diff!, se: p!.se! })), options.alpha);
  const e = normalDifference(diff, combined.se, options.alpha);
  const paired = parts.every((p) => p!.paired);
  notes.push(`normal test on the ${def.columns.length} columns' standard errors (${paired ? "all paired" : "some unpaired"})`);
  return gate({ ...row, diff, ci: e.ci, se: e.se, pValue: e.pValue, test: "normal-combined", paired, notes }, options.alpha);
}

/** Check the per-task overrides name something in this comparison, so a typo cannot disable the gate. */
function checkOverrides(rows: ComparisonRow[], options: CompareOptions): void {
  const known = new Set<string>();
  for (const r of rows) {
    known.add(r.key);
    if (r.tasks.new) known.add(r.tasks.new);
    if (r.tasks.baseline) known.add(r.tasks.baseline);
  }
  const unknown = Object.keys(options.maxDropTask).filter((k) => !known.has(k));
  if (unknown.length > 0) {
    throw new UserError(
      "usage",
      `--max-drop-task ${unknown.join(", ")}: no such task or average in this comparison; use one of: ${[...known].join(", ")}.`,
    );
  }
}

export function compareRuns(newRun: RunScores, baseRun: RunScores, options: CompareOptions): Comparison {
  if (!(options.alpha > 0 && options.alpha < 1)) throw new UserError("usage", `--alpha ${options.alpha} must lie strictly between 0 and 1 (e.g. 0.05).`);
  for (const [k, v] of Object.entries({ "--max-drop": options.maxDrop, ...Object.fromEntries(Object.entries(options.maxDropTask).map(([t, d]) => [`--max-drop-task ${t}`, d])) })) {
    if (!Number.isFinite(v) || v < 0) throw new UserError("usage", `${k} ${v} must be a non-negative number of points.`);
  }
  const keys: string[] = [];
  const add = (k: string) => {
    if (!keys.includes(k)) keys.push(k);
  };
  // A published baseline has both suites; only the suites the new run touches are compared.
  const touched = new Set(newRun.rows.map((r) => suiteOfColumn(r.key)));
  const baseRows = baseRun.kind === "published" ? baseRun.rows.filter((r) => touched.has(suiteOfColumn(r.key))) : baseRun.rows;
  const present = new Set([...newRun.rows, ...baseRows].map((r) => r.key));
  for (const suite of SUITE_IDS) for (const k of suiteColumnKeys(suite)) if (present.has(k)) add(k);
  for (const r of [...newRun.rows, ...baseRows]) add(r.key);
  const taskRows = keys.map((k) => compareTaskRow(k, newRun, baseRun, options));
  const rows: ComparisonRow[] = [];
  for (const suite of SUITE_IDS) {
    rows.push(...taskRows.filter((r) => r.suite === suite));
    if (baseRun.kind === "published" && !touched.has(suite)) continue;
    for (const def of PAPER_AVERAGES.filter((d) => d.suite === suite)) {
      const avg = compareAverageRow(def, newRun, baseRun, taskRows, options);
      if (avg) rows.push(avg);
    }
  }
  rows.push(...taskRows.filter((r) => r.suite === "other"));
  checkOverrides(rows, options);
  const notes = [...newRun.notes.map((n) => `new run: ${n}`), ...baseRun.notes.map((n) => `baseline: ${n}`)];
  if (baseRun.kind === "published") notes.push("the baseline is the paper's table: no per-doc results, so every test is unpaired");
  return {
    new: { label: newRun.label, source: newRun.source },
    baseline: { label: baseRun.label, source: baseRun.source, kind: baseRun.kind },
    alpha: options.alpha,
    maxDrop: options.maxDrop,
    maxDropTask: options.maxDropTask,
    bootstrap: { iterations: options.bootstrapIterations, seed: options.seed },
    rows,
    failed: rows.some((r) => r.failed),
    notes,
  };
}
