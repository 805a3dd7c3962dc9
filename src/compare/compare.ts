// Compare a new run against a baseline (another run or the paper's figures), per paper
// column and per suite average, and decide the regression gate.
//
// Paired when possible: two runs that scored the same docs of the same task are compared doc
// by doc (exact McNemar for 0/1 metrics, a seeded paired bootstrap otherwise). Testing paired
// data as if it were two independent samples — what the peers' comparison scripts do —
// overstates the noise and hides real regressions, so the unpaired tests are only the fallback
// for a published baseline (no per-doc results) or runs over different docs.

import { UserError } from "../errors.js";
import { findTask } from "../tasks/registry.js";
import { columnOf, PAPER_AVERAGES, SUITE_IDS, suiteColumnKeys, suiteOfColumn, type PaperAverage, type SuiteId } from "../paper/suites.js";
import type { RunScores } from "../results/read.js";
import { agreementOf, type ContinuationTokenizer, type TaskAgreement } from "./agreement.js";
import { checkComparable, type ComparabilityOptions } from "./comparable.js";
import { pairTask } from "./pairing.js";
import { provenanceOf, type Provenance } from "./provenance.js";
import { holm, meanOfIndependentTested, minimalDetectable, normalTested, POWER, type Interval, type TestedDifference } from "./stats.js";
import { pairedTest, unpairedTest, withSampleSe, type TestKind } from "./tests.js";

export type { TestKind };

export interface CompareOptions extends ComparabilityOptions {
  /** Family-wise significance level (Holm over the rows tested). */
  alpha: number;
  /** Largest allowed drop in points (new below baseline), per task and per average. */
  maxDrop: number;
  /** Overrides by task name, paper column key or average id. */
  maxDropTask: Record<string, number>;
  bootstrapIterations: number;
  seed: number;
  /** Also report answer agreement and log-likelihood shifts per task (two GGUFs of one model). */
  agreement?: boolean;
  /** With `agreement`: the evaluated model's vocabulary, for |Δ log-likelihood| per continuation token. */
  tokenizer?: ContinuationTokenizer;
}

export const DEFAULT_COMPARE_OPTIONS: CompareOptions = {
  alpha: 0.05,
  maxDrop: 0,
  maxDropTask: {},
  bootstrapIterations: 10000,
  seed: 1234,
  allowPartial: false,
  allowConfigMismatch: false,
  allowLimit: false,
};

export type Verdict = "pass" | "FAIL" | "untested" | "not comparable" | "missing";

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
  /** The difference tested, new - baseline, in points (over the docs both runs scored when paired). */
  diff: number | null;
  /**
   * The interval of the difference at `level`, from the same test as `pValue`: it excludes 0
   * exactly when `pAdjusted` < alpha (the row is significant).
   */
  ci: Interval | null;
  /** The level `ci` is drawn at: the one the row's raw p is compared with under Holm (alpha for a single row, or for a row not gated). */
  level: number | null;
  /** Standard error of the difference, in points (combines columns into averages). */
  se: number | null;
  /** Raw two-sided p-value of the row's test. */
  pValue: number | null;
  /** Holm-adjusted p over the rows tested; the verdict uses it. */
  pAdjusted: number | null;
  test: TestKind;
  paired: boolean;
  n: { new: number | null; baseline: number | null };
  /** Docs paired and left out (paired rows only). */
  docs?: { paired: number; newOnly: number; baselineOnly: number };
  /** McNemar's discordant docs: right only in the new run / only in the baseline. */
  discordant?: { newOnly: number; baselineOnly: number };
  /** Smallest drop (points) this row's test detects with 80% power at alpha (unadjusted). */
  minimalDetectable: number | null;
  maxDrop: number;
  significant: boolean;
  /** Dropped by more than maxDrop and significant after adjustment. */
  failed: boolean;
  /** Set when the row cannot pass: what makes it not comparable. */
  notComparable: string | null;
  verdict: Verdict;
  notes: string[];
}

export interface Comparison {
  new: { label: string; source: string };
  baseline: { label: string; source: string; kind: RunScores["kind"] };
  alpha: number;
  /** How the rows' p-values are adjusted for testing many at once. */
  adjustment: { method: "holm"; family: number };
  power: number;
  maxDrop: number;
  maxDropTask: Record<string, number>;
  bootstrap: { iterations: number; seed: number };
  /** What differs between the two runs' records, and whether score differences are expected; null against the paper. */
  provenance: Provenance | null;
  rows: ComparisonRow[];
  /** With `agreement`: per task, how often both runs chose the same answer and how far log-likelihoods moved. */
  agreement: TaskAgreement[] | null;
  /** Whether the agreement rows could count continuation tokens (`compare --tokenizer`). */
  agreementPerToken: boolean;
  /** Problems allowed by an --allow-... flag, stated in the output. */
  allowed: string[];
  /**
   * Why the gate cannot pass although no row failed: set whenever an --allow-... flag let a problem
   * through (an --allow flag shows the numbers; it never lets a gate pass).
   */
  notComparable: string | null;
  /** True when any row failed the gate or the comparison is not comparable. */
  failed: boolean;
  notes: string[];
}

/** A row before the family-wise step, with its test. */
type DraftRow = Omit<ComparisonRow, "significant" | "failed" | "verdict" | "ci" | "level" | "pAdjusted"> & { tested: TestedDifference | null };

/** The allowed drop of a row: a per-task override (task name, column key or average id) or the default. */
function maxDropFor(keys: (string | null)[], options: CompareOptions): number {
  for (const k of keys) if (k !== null && options.maxDropTask[k] !== undefined) return options.maxDropTask[k]!;
  return options.maxDrop;
}

function compareTaskRow(key: string, newRun: RunScores, baseRun: RunScores, options: CompareOptions, mismatch: string | undefined): DraftRow {
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
    notComparable: mismatch ?? null,
  };
  if (!newRow0 || !baseRow0) {
    notes.push(newRow0 ? "not in the baseline" : "not in the new run");
    return { ...base, diff: null, se: null, pValue: null, test: "none", paired: false, minimalDetectable: null, notes, tested: null };
  }
  if (newRow0.metric !== baseRow0.metric) notes.push(`different metrics (${baseRow0.metric} → ${newRow0.metric})`);
  const pairing = pairTask(newRun, baseRun, newRow0, baseRow0, notes);
  const outcome = pairing
    ? pairedTest(pairing, newRow0.metric, options, notes)
    : unpairedTest(withSampleSe(newRun, newRow0), withSampleSe(baseRun, baseRow0), baseRun.kind, options, notes);
  const t = outcome.tested;
  return {
    ...base,
    diff: t ? t.diff : newRow0.score - baseRow0.score,
    se: t?.se ?? null,
    pValue: t?.pValue ?? null,
    test: outcome.test,
    paired: outcome.paired,
    ...(pairing ? { docs: pairing.docs } : {}),
    ...(outcome.discordant ? { discordant: outcome.discordant } : {}),
    minimalDetectable: outcome.minimalDetectable,
    notes,
    tested: t,
  };
}

function compareAverageRow(def: PaperAverage, newRun: RunScores, baseRun: RunScores, taskRows: DraftRow[], options: CompareOptions): DraftRow | null {
  const a = newRun.averages.find((x) => x.id === def.id);
  const b = baseRun.averages.find((x) => x.id === def.id);
  if (!a && !b) return null;
  const notes: string[] = [];
  const newScore = a?.value ?? null;
  const baselineScore = b?.value ?? null;
  const parts = def.columns.map((k) => taskRows.find((r) => r.key === k));
  const mismatched = parts.filter((p) => p?.notComparable).map((p) => p!.key);
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
    notComparable: mismatched.length > 0 ? `averages columns whose settings differ (${mismatched.join(", ")})` : null,
  };
  const none = { se: null, pValue: null, test: "none" as const, paired: false, minimalDetectable: null, tested: null };
  if (newScore === null || baselineScore === null) {
    notes.push(`${newScore === null ? "the new run" : "the baseline"} has no value for this average (a column is missing)`);
    return { ...row, ...none, diff: null, notes };
  }
  const diff = newScore - baselineScore;
  if (parts.some((p) => !p || p.se === null || p.diff === null)) {
    notes.push("a column has no standard error; average not tested");
    return { ...row, ...none, diff, notes };
  }
  // The tasks are independent datasets, so the variance of the mean difference is the sum of
  // the columns' variances over k².
  const combined = meanOfIndependentTested(parts.map((p) => ({ diff: p!.diff!, se: p!.se! })));
  const tested = normalTested(diff, combined.se);
  const paired = parts.every((p) => p!.paired);
  notes.push(`normal test on the ${def.columns.length} columns' standard errors (${paired ? "all paired" : "some unpaired"})`);
  return { ...row, diff, se: tested.se, pValue: tested.pValue, test: "normal-combined", paired, minimalDetectable: minimalDetectable(tested.se, options.alpha), notes, tested };
}

/**
 * The family-wise step: Holm over every row with a p-value, the interval of each row drawn at the
 * level its raw p is compared with (so it excludes 0 exactly when the adjusted p is below alpha),
 * and the verdict from the adjusted p.
 */
function decide(drafts: DraftRow[], options: CompareOptions, notComparable: string | null): ComparisonRow[] {
  // The family: every tested row that is gated. A row whose settings differ is not gated (it
  // neither passes nor fails), so it does not dilute the others; its interval is shown at alpha.
  const testedIdx = drafts.map((d, i) => (d.tested && !d.notComparable ? i : -1)).filter((i) => i >= 0);
  const { adjusted, level } = holm(
    testedIdx.map((i) => drafts[i]!.tested!.pValue),
    options.alpha,
  );
  return drafts.map((d, i) => {
    const { tested, ...rest } = d;
    const j = testedIdx.indexOf(i);
    const pAdjusted = j >= 0 ? adjusted[j]! : null;
    const lvl = j >= 0 ? level[j]! : tested ? options.alpha : null;
    const ci = tested && lvl !== null ? tested.intervalAt(lvl) : null;
    const significant = pAdjusted !== null && pAdjusted < options.alpha;
    const dropped = d.diff !== null && -d.diff > d.maxDrop;
    const rowNotComparable = notComparable ?? d.notComparable;
    // A row that is not comparable neither passes nor fails; the comparison as a whole cannot pass.
    const failed = significant && dropped && !rowNotComparable;
    const verdict: Verdict =
      d.newScore === null || d.baselineScore === null
        ? "missing"
        : rowNotComparable
          ? "not comparable"
          : failed
            ? "FAIL"
            : pAdjusted === null
              ? "untested"
              : "pass";
    return { ...rest, ci, level: lvl, pAdjusted, significant, failed, notComparable: rowNotComparable, verdict };
  });
}

/**
 * Resolve the per-task overrides to names in this comparison: a task name, column key or average
 * id as is, or any name or alias `run` accepts (`jcs`, `xwino`, `arc`) through the task registry.
 * A name that matches nothing is an input error, so a typo cannot disable the gate.
 */
function resolveOverrides(rows: DraftRow[], options: CompareOptions): Record<string, number> {
  const known = new Set<string>();
  for (const r of rows) {
    known.add(r.key);
    if (r.tasks.new) known.add(r.tasks.new);
    if (r.tasks.baseline) known.add(r.tasks.baseline);
  }
  const out: Record<string, number> = {};
  const unknown: string[] = [];
  for (const [name, drop] of Object.entries(options.maxDropTask)) {
    if (known.has(name)) {
      out[name] = drop;
      continue;
    }
    let resolved: string | undefined;
    try {
      const task = findTask(name).name;
      if (known.has(task)) resolved = task;
    } catch (err) {
      if (!(err instanceof UserError)) throw err;
    }
    if (resolved === undefined) unknown.push(name);
    else out[resolved] = drop;
  }
  if (unknown.length > 0) {
    throw new UserError(
      "usage",
      `--max-drop-task ${unknown.join(", ")}: no such task or average in this comparison; use a task name or alias, or one of: ${[...known].join(", ")}.`,
    );
  }
  return out;
}

export function compareRuns(newRun: RunScores, baseRun: RunScores, options: CompareOptions): Comparison {
  if (!(options.alpha > 0 && options.alpha < 1)) throw new UserError("usage", `--alpha ${options.alpha} must lie strictly between 0 and 1 (e.g. 0.05).`);
  for (const [k, v] of Object.entries({ "--max-drop": options.maxDrop, ...Object.fromEntries(Object.entries(options.maxDropTask).map(([t, d]) => [`--max-drop-task ${t}`, d])) })) {
    if (!Number.isFinite(v) || v < 0) throw new UserError("usage", `${k} ${v} must be a non-negative number of points.`);
  }
  const comparability = checkComparable(newRun, baseRun, options);
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
  const taskRows = keys.map((k) => compareTaskRow(k, newRun, baseRun, options, comparability.mismatched.get(k)));
  const drafts: DraftRow[] = [];
  for (const suite of SUITE_IDS) {
    drafts.push(...taskRows.filter((r) => r.suite === suite));
    if (baseRun.kind === "published" && !touched.has(suite)) continue;
    for (const def of PAPER_AVERAGES.filter((d) => d.suite === suite)) {
      const avg = compareAverageRow(def, newRun, baseRun, taskRows, options);
      if (avg) drafts.push(avg);
    }
  }
  drafts.push(...taskRows.filter((r) => r.suite === "other"));
  const maxDropTask = resolveOverrides(drafts, options);
  for (const d of drafts) d.maxDrop = maxDropFor(d.kind === "average" ? [d.key] : [d.tasks.new, d.tasks.baseline, d.key], { ...options, maxDropTask });
  const rows = decide(drafts, options, comparability.notComparable);
  const notes = [...new Set([...newRun.notes.map((n) => `new run: ${n}`), ...baseRun.notes.map((n) => `baseline: ${n}`)])];
  if (baseRun.kind === "published") notes.push("the baseline is the paper's table: no per-doc results, so every test is unpaired");
  const family = rows.filter((r) => r.pAdjusted !== null).length;
  const numbersDiffer = rows.some((r) => {
    if (r.kind !== "task" || r.newScore === null || r.baselineScore === null) return false;
    if (r.paired) return (r.diff ?? 0) !== 0 || (r.discordant !== undefined && r.discordant.newOnly + r.discordant.baselineOnly > 0);
    return r.newScore !== r.baselineScore;
  });
  return {
    new: { label: newRun.label, source: newRun.source },
    baseline: { label: baseRun.label, source: baseRun.source, kind: baseRun.kind },
    alpha: options.alpha,
    adjustment: { method: "holm", family },
    power: POWER,
    maxDrop: options.maxDrop,
    maxDropTask: options.maxDropTask,
    bootstrap: { iterations: options.bootstrapIterations, seed: options.seed },
    provenance: provenanceOf(newRun, baseRun, numbersDiffer),
    rows,
    agreement: options.agreement ? agreementOf(newRun, baseRun, 5, options.tokenizer) : null,
    agreementPerToken: options.agreement === true && options.tokenizer !== undefined,
    allowed: comparability.allowed,
    notComparable: comparability.allowed.length > 0 ? comparability.allowed.join("; ") : null,
    failed: comparability.allowed.length > 0 || rows.some((r) => r.failed),
    notes,
  };
}
