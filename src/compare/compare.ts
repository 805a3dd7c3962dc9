// Compare a new run against a baseline (another run or the paper's figures), per paper
// column and per suite average, and decide the regression gate.
//
// Paired when possible: two runs that scored the same docs of the same task are compared doc
// by doc (exact McNemar for 0/1 metrics, a seeded paired bootstrap otherwise). Testing paired
// data as if it were two independent samples — what the peers' comparison scripts do —
// overstates the noise and hides real regressions, so the unpaired tests are only the fallback
// for a published baseline (no per-doc results) or runs over different docs.

import { UserError } from "../errors.js";
import {
  AVERAGES,
  COLUMN_LABELS,
  SUITE_COLUMNS,
  loadSampleMetric,
  type RunScores,
  type ScoreRow,
  type SuiteId,
} from "./load.js";
import {
  meanOfIndependentDifferences,
  normalDifference,
  pairedBootstrap,
  pairedProportionDifference,
  twoProportionDifference,
  type DifferenceEstimate,
  type Interval,
} from "./stats.js";

export type TestKind =
  | "mcnemar-exact"
  | "paired-bootstrap"
  | "paired-bootstrap-stratified"
  | "two-proportion-z"
  | "normal-unpaired"
  | "normal-combined"
  | "none";

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

/** acc-like metrics: a 0-1 (or 0/100) outcome per doc, tested as proportions when unpaired. */
const PROPORTION_METRICS = new Set(["acc", "acc_norm", "exact_match", "mc1"]);

function suiteOf(key: string): SuiteId | "other" {
  if (SUITE_COLUMNS.ja.includes(key)) return "ja";
  if (SUITE_COLUMNS.en.includes(key)) return "en";
  return "other";
}

/**
 * Per-doc values on the row's 0-100 scale. Runs store acc 0-1 but exact_match and ROUGE 0-100;
 * rather than trust a table of conventions, take whichever of ×1 and ×100 brings the
 * per-doc mean to the row's score.
 */
function scaleFactor(meanValue: number, score: number): 1 | 100 {
  return Math.abs(meanValue * 100 - score) < Math.abs(meanValue - score) ? 100 : 1;
}

function mean(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return s / values.length;
}

function sampleSe(values: readonly number[]): number | null {
  if (values.length < 2) return null;
  const m = mean(values);
  let ss = 0;
  for (const v of values) ss += (v - m) * (v - m);
  return Math.sqrt(ss / (values.length - 1) / values.length);
}

/** One task's per-doc values of both runs, aligned by doc_id, or why they cannot be paired. */
interface Pairing {
  /** One stratum per task (57 for MMLU); values on the 0-100 scale. */
  strata: { newValues: number[]; baseValues: number[] }[];
}

function sameKeys(a: Map<number, number>, b: Map<number, number>): boolean {
  if (a.size !== b.size) return false;
  for (const k of a.keys()) if (!b.has(k)) return false;
  return true;
}

function pairTask(
  newRun: RunScores,
  baseRun: RunScores,
  newRow: ScoreRow,
  baseRow: ScoreRow,
  notes: string[],
): Pairing | null {
  if (newRun.kind !== "run" || baseRun.kind !== "run" || !newRun.dir || !baseRun.dir) return null;
  if (newRow.task !== baseRow.task) {
    notes.push(`different tasks (${baseRow.task} → ${newRow.task}); compared unpaired`);
    return null;
  }
  let tasks: string[];
  if (newRow.key === "mmlu") {
    const newSubjects = newRun.doc?.group_subtasks.mmlu ?? [];
    const baseSubjects = baseRun.doc?.group_subtasks.mmlu ?? [];
    if (newSubjects.length === 0 || newSubjects.join("\n") !== [...baseSubjects].join("\n")) {
      notes.push("the runs scored different MMLU subjects; compared unpaired");
      return null;
    }
    tasks = newSubjects;
  } else {
    tasks = [newRow.task];
  }
  const raw: { newValues: number[]; baseValues: number[] }[] = [];
  for (const task of tasks) {
    const a = loadSampleMetric(newRun.dir, task, newRow.metric);
    const b = loadSampleMetric(baseRun.dir, task, baseRow.metric);
    if (!a || !b) {
      notes.push(`no samples_${task}.jsonl in ${!a ? "the new run" : "the baseline"}; compared unpaired`);
      return null;
    }
    if (!sameKeys(a, b)) {
      let shared = 0;
      for (const k of a.keys()) if (b.has(k)) shared++;
      notes.push(`${task}: the runs scored different docs (${a.size} vs ${b.size}, ${shared} shared); compared unpaired`);
      return null;
    }
    if (a.size === 0) return null;
    const ids = [...a.keys()].sort((x, y) => x - y);
    raw.push({ newValues: ids.map((i) => a.get(i)!), baseValues: ids.map((i) => b.get(i)!) });
  }
  // One factor per run (all subjects share the metric): the macro mean of stratum means vs the score.
  const macro = (pick: (s: (typeof raw)[number]) => number[]) => mean(raw.map((s) => mean(pick(s))));
  const fNew = scaleFactor(macro((s) => s.newValues), newRow.score);
  const fBase = scaleFactor(macro((s) => s.baseValues), baseRow.score);
  return {
    strata: raw.map((s) => ({ newValues: s.newValues.map((v) => v * fNew), baseValues: s.baseValues.map((v) => v * fBase) })),
  };
}

function isBinary(values: readonly number[]): boolean {
  return values.every((v) => v === 0 || v === 100);
}

interface TestOutcome {
  estimate: DifferenceEstimate | null;
  test: TestKind;
  paired: boolean;
  discordant?: { newOnly: number; baselineOnly: number };
}

function pairedTest(p: Pairing, metric: string, options: CompareOptions, notes: string[]): TestOutcome {
  if (p.strata.length === 1) {
    const { newValues, baseValues } = p.strata[0]!;
    if (isBinary(newValues) && isBinary(baseValues)) {
      let newOnly = 0;
      let baselineOnly = 0;
      for (let i = 0; i < newValues.length; i++) {
        if (newValues[i]! > baseValues[i]!) newOnly++;
        else if (newValues[i]! < baseValues[i]!) baselineOnly++;
      }
      const e = pairedProportionDifference(newOnly, baselineOnly, newValues.length, options.alpha);
      return {
        estimate: { diff: e.diff * 100, se: e.se * 100, ci: [e.ci[0] * 100, e.ci[1] * 100], pValue: e.pValue },
        test: "mcnemar-exact",
        paired: true,
        discordant: { newOnly, baselineOnly },
      };
    }
  }
  const diffs = p.strata.map((s) => s.newValues.map((v, i) => v - s.baseValues[i]!));
  const e = pairedBootstrap(diffs, { iterations: options.bootstrapIterations, seed: options.seed, alpha: options.alpha });
  if (metric === "rouge2") notes.push("interval and p-value are for the mean per-doc ROUGE-2 F; the score is the bootstrap mid");
  return { estimate: e, test: p.strata.length > 1 ? "paired-bootstrap-stratified" : "paired-bootstrap", paired: true };
}

function unpairedTest(newRow: ScoreRow, baseRow: ScoreRow, baseKind: RunScores["kind"], options: CompareOptions, notes: string[]): TestOutcome {
  const diff = newRow.score - baseRow.score;
  if (PROPORTION_METRICS.has(newRow.metric) && newRow.metric === baseRow.metric && newRow.n && baseRow.n) {
    const e = twoProportionDifference(newRow.score / 100, newRow.n, baseRow.score / 100, baseRow.n, options.alpha);
    if (newRow.key === "mmlu") notes.push("MMLU's macro mean tested as one proportion over all docs (approximate)");
    if (baseKind === "published") notes.push(`paper's n taken as ${baseRow.n} docs`);
    return { estimate: { diff, se: e.se * 100, ci: [e.ci[0] * 100, e.ci[1] * 100], pValue: e.pValue }, test: "two-proportion-z", paired: false };
  }
  const seNew = newRow.stderr;
  let seBase = baseRow.stderr;
  if (seBase === null && baseKind === "published" && seNew !== null) {
    // The paper prints no standard errors; its run scored the same docs, so its spread is
    // taken to be ours.
    seBase = seNew;
    notes.push("the paper gives no standard error; assumed equal to the new run's");
  }
  if (seNew === null || seBase === null) {
    notes.push("no standard error on one side; difference not tested");
    return { estimate: null, test: "none", paired: false };
  }
  return { estimate: normalDifference(diff, Math.sqrt(seNew * seNew + seBase * seBase), options.alpha), test: "normal-unpaired", paired: false };
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

/** Fill in the samples-based standard error of a row that has none (ROUGE's, for instance). */
function withSampleSe(run: RunScores, row: ScoreRow): ScoreRow {
  if (row.stderr !== null || run.kind !== "run" || !run.dir || row.key === "mmlu") return row;
  const values = loadSampleMetric(run.dir, row.task, row.metric);
  if (!values || values.size < 2) return row;
  const arr = [...values.values()];
  const f = scaleFactor(mean(arr), row.score);
  const se = sampleSe(arr.map((v) => v * f));
  return se === null ? row : { ...row, stderr: se };
}

function compareTaskRow(key: string, newRun: RunScores, baseRun: RunScores, options: CompareOptions): ComparisonRow {
  const newRow0 = newRun.rows.find((r) => r.key === key) ?? null;
  const baseRow0 = baseRun.rows.find((r) => r.key === key) ?? null;
  const notes: string[] = [];
  const base = {
    kind: "task" as const,
    key,
    label: COLUMN_LABELS[key] ?? key,
    suite: suiteOf(key),
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
  def: (typeof AVERAGES)[number],
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
  const touched = new Set(newRun.rows.map((r) => suiteOf(r.key)));
  const baseRows = baseRun.kind === "published" ? baseRun.rows.filter((r) => touched.has(suiteOf(r.key))) : baseRun.rows;
  const present = new Set([...newRun.rows, ...baseRows].map((r) => r.key));
  for (const suite of ["ja", "en"] as const) for (const k of SUITE_COLUMNS[suite]) if (present.has(k)) add(k);
  for (const r of [...newRun.rows, ...baseRows]) add(r.key);
  const taskRows = keys.map((k) => compareTaskRow(k, newRun, baseRun, options));
  const rows: ComparisonRow[] = [];
  for (const suite of ["ja", "en"] as const) {
    rows.push(...taskRows.filter((r) => r.suite === suite));
    if (baseRun.kind === "published" && !touched.has(suite)) continue;
    for (const def of AVERAGES.filter((d) => d.suite === suite)) {
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
