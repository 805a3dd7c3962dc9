// What a comparison is: its options and defaults, its rows and verdicts. Shared by the row
// builders (compare.ts), the gate's decision (gate.ts) and the reports that render it.

import type { SuiteId } from "../paper/suites.js";
import type { RunScores } from "../results/read.js";
import type { ContinuationTokenizer, TaskAgreement } from "./agreement.js";
import type { ComparabilityOptions } from "./comparable.js";
import type { Provenance } from "./provenance.js";
import type { Interval, TestedDifference } from "./stats.js";
import type { TestKind } from "./tests.js";

/**
 * How a row's interval is read against its max drop m. "drop" (default): the row fails when it
 * shows a drop larger than m (the interval at its Holm level lies wholly below -m). "non-inferiority":
 * the row passes only when it shows a drop smaller than m (the interval at alpha lies wholly above -m,
 * and the test could have detected a drop of m).
 */
export type GateRule = "drop" | "non-inferiority";

export interface CompareOptions extends ComparabilityOptions {
  /** Family-wise significance level (Holm over the rows tested). */
  alpha: number;
  /** Largest allowed drop in points (new below baseline), per task and per average. */
  maxDrop: number;
  /** Overrides by task name, paper column key or average id. */
  maxDropTask: Record<string, number>;
  /** What a row must show: see GateRule (default "drop"). */
  rule?: GateRule;
  /** Tasks or averages (names, aliases, column keys, average ids) that may be absent from the new run. */
  allowMissing?: string[];
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

/** Why a row has the verdict it has, beyond pass/FAIL: shown in the gate cell at any width. */
export type VerdictFlag =
  /** Absent from the new run (FAIL unless allowed). */
  | "absent"
  /** Absent, allowed by --allow-missing (or a paper column the new run did not select). */
  | "absent allowed"
  /** The gate's test rejected at alpha before Holm's adjustment, not after: passes. */
  | "not after Holm"
  /** The test could not have detected a drop of the row's max drop (MDD above it, or no drop detectable). */
  | "underpowered";

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
   * The interval of the difference at `level`, from the same test as `pGate`: under the "drop"
   * rule it lies wholly below -maxDrop exactly when `pAdjusted` < alpha (the row fails); under
   * "non-inferiority" wholly above -maxDrop exactly when `pAdjusted` < alpha.
   */
  ci: Interval | null;
  /** The level `ci` is drawn at: the one the row's raw p is compared with under Holm (alpha for a single row, or for a row not gated). */
  level: number | null;
  /** Standard error of the difference, in points (combines columns into averages). */
  se: number | null;
  /** Raw two-sided p-value of the row's test for "no difference" (shown; the gate uses pGate). */
  pValue: number | null;
  /**
   * Raw p-value of the gate's test, from the same test as the interval: under the "drop" rule, of
   * "dropped by more than maxDrop" (doubled one-sided: ci's upper end < -maxDrop iff pGate < level);
   * under "non-inferiority", of "dropped by less than maxDrop" (ci's lower end > -maxDrop iff pGate < level).
   */
  pGate: number | null;
  /** pGate Holm-adjusted over the rows tested ("drop"), or pGate itself ("non-inferiority"); the verdict uses it. */
  pAdjusted: number | null;
  test: TestKind;
  paired: boolean;
  n: { new: number | null; baseline: number | null };
  /** Docs paired and left out (paired rows only). */
  docs?: { paired: number; newOnly: number; baselineOnly: number };
  /** McNemar's discordant docs: right only in the new run / only in the baseline. */
  discordant?: { newOnly: number; baselineOnly: number };
  /** Smallest drop (points) this row's test detects with 80% power at alpha (unadjusted); null when untested or when no drop of any size is detectable (see `underpowered`). */
  minimalDetectable: number | null;
  maxDrop: number;
  /** The gate's test rejected after adjustment (pAdjusted < alpha). */
  significant: boolean;
  /** The row fails the gate: "drop": shown to have dropped by more than maxDrop; "non-inferiority": not shown to be within it; or absent from the new run and not allowed. */
  failed: boolean;
  /** Tested, and its test could not have detected a drop of maxDrop (MDD above it, or none detectable). */
  underpowered: boolean;
  /** Absent from the new run: why (the run's skip reason, or that it did not select the task). */
  absent: string | null;
  /** What qualifies the verdict, for the gate cell. */
  flags: VerdictFlag[];
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
  /** The rule the rows were gated by. */
  rule: GateRule;
  /** True when any row failed the gate or the comparison is not comparable. */
  failed: boolean;
  /** Set when no row was tested and nothing failed: why there was nothing to compare (compare exits 2). */
  nothingTested: string | null;
  notes: string[];
}

/** A row before the family-wise step, with its test. */
export type DraftRow = Omit<ComparisonRow, "significant" | "failed" | "verdict" | "ci" | "level" | "pAdjusted" | "pGate" | "underpowered" | "flags"> & {
  tested: TestedDifference | null;
  /** Absent from the new run and allowed to be (--allow-missing, or a paper column the run did not select). */
  absentAllowed: boolean;
};
