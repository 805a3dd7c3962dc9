// The significance test of one task row: paired (exact McNemar for 0/1 outcomes, a seeded
// paired bootstrap otherwise) on the docs both runs scored, unpaired (Fisher's exact test of two
// proportions, or a normal test on the standard errors) against a published figure.
//
// Every test returns its p-value together with a way to draw its interval at any level from the
// same test (stats.ts `TestedDifference`), so the interval shown and the p-value never disagree.

import { MMLU_GROUP } from "../paper/suites.js";
import { loadSampleMetric, type RunScores, type ScoreRow } from "../results/read.js";
import { mean, sampleScale, type Pairing } from "./pairing.js";
import { normalTested, pairedExactDifference, type TestedDifference } from "./stats.js";
import { detectableDrop, mcnemarMinimalDetectable, minimalDetectable } from "./power.js";
import { pairedBootstrap } from "./bootstrap.js";
import { fisherTested } from "./fisher.js";

export type TestKind =
  | "mcnemar-exact"
  | "paired-bootstrap"
  | "paired-bootstrap-stratified"
  | "fisher-exact"
  | "normal-unpaired"
  | "normal-combined"
  | "none";

export interface TestOutcome {
  /** On the 0-100 scale. */
  tested: TestedDifference | null;
  test: TestKind;
  paired: boolean;
  discordant?: { newOnly: number; baselineOnly: number };
  /** Smallest drop (points) the test detects with 80% power at alpha; null when untested or when no drop of any size is detectable. */
  minimalDetectable: number | null;
}

export interface TestSettings {
  alpha: number;
  bootstrapIterations: number;
  seed: number;
}

/** acc-like metrics: a 0-1 (or 0/100) outcome per doc, tested as proportions when unpaired. */
const PROPORTION_METRICS = new Set(["acc", "acc_norm", "exact_match", "mc1"]);

function isBinary(values: readonly number[]): boolean {
  return values.every((v) => v === 0 || v === 100);
}

function sampleSe(values: readonly number[]): number | null {
  if (values.length < 2) return null;
  const m = mean(values);
  let ss = 0;
  for (const v of values) ss += (v - m) * (v - m);
  return Math.sqrt(ss / (values.length - 1) / values.length);
}

/** A TestedDifference in proportions, scaled to points. */
function scaled(t: TestedDifference, f: number): TestedDifference {
  return {
    diff: t.diff * f,
    se: t.se * f,
    nullSe: t.nullSe * f,
    pValue: t.pValue,
    intervalAt: (a) => {
      const [lo, hi] = t.intervalAt(a);
      return [lo * f, hi * f];
    },
    pBelow: (x) => t.pBelow(x / f),
    pAbove: (x) => t.pAbove(x / f),
  };
}

export function pairedTest(p: Pairing, metric: string, options: TestSettings, notes: string[]): TestOutcome {
  if (p.strata.length === 1) {
    const { newValues, baseValues } = p.strata[0]!;
    if (isBinary(newValues) && isBinary(baseValues)) {
      let newOnly = 0;
      let baselineOnly = 0;
      for (let i = 0; i < newValues.length; i++) {
        if (newValues[i]! > baseValues[i]!) newOnly++;
        else if (newValues[i]! < baseValues[i]!) baselineOnly++;
      }
      const n = newValues.length;
      return {
        tested: scaled(pairedExactDifference(newOnly, baselineOnly, n), 100),
        test: "mcnemar-exact",
        paired: true,
        discordant: { newOnly, baselineOnly },
        minimalDetectable: detectableDrop(mcnemarMinimalDetectable(newOnly + baselineOnly, n, options.alpha) * 100),
      };
    }
  }
  const diffs = p.strata.map((s) => s.newValues.map((v, i) => v - s.baseValues[i]!));
  const e = pairedBootstrap(diffs, { iterations: options.bootstrapIterations, seed: options.seed, alpha: options.alpha });
  if (metric === "rouge2") notes.push("interval and p-value are for the mean per-doc ROUGE-2 F; the score is the bootstrap mid");
  return {
    tested: e,
    test: p.strata.length > 1 ? "paired-bootstrap-stratified" : "paired-bootstrap",
    paired: true,
    // On the spread under "no difference": runs that agree on every doc can detect nothing.
    minimalDetectable: detectableDrop(minimalDetectable(e.nullSe, options.alpha)),
  };
}

export function unpairedTest(newRow: ScoreRow, baseRow: ScoreRow, baseKind: RunScores["kind"], options: TestSettings, notes: string[]): TestOutcome {
  const diff = newRow.score - baseRow.score;
  if (PROPORTION_METRICS.has(newRow.metric) && newRow.metric === baseRow.metric && newRow.n && baseRow.n) {
    // Counts of docs right: the paper's are whole numbers of its n (spec §8.3), ours are exact.
    const x1 = Math.round((newRow.score / 100) * newRow.n);
    const x2 = Math.round((baseRow.score / 100) * baseRow.n);
    const t = scaled(fisherTested(x1, newRow.n, x2, baseRow.n), 100);
    if (newRow.key === MMLU_GROUP) notes.push("MMLU's macro mean tested as one proportion over all docs (approximate)");
    if (baseKind === "published") notes.push(`paper's n taken as ${baseRow.n} docs`);
    // Under "no difference" both runs share the baseline's rate.
    const p2 = baseRow.score / 100;
    const se0 = Math.sqrt(p2 * (1 - p2) * (1 / newRow.n + 1 / baseRow.n)) * 100;
    return { tested: { ...t, diff }, test: "fisher-exact", paired: false, minimalDetectable: detectableDrop(minimalDetectable(se0, options.alpha)) };
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
    return { tested: null, test: "none", paired: false, minimalDetectable: null };
  }
  const se = Math.sqrt(seNew * seNew + seBase * seBase);
  return { tested: normalTested(diff, se), test: "normal-unpaired", paired: false, minimalDetectable: detectableDrop(minimalDetectable(se, options.alpha)) };
}

/** Fill in the samples-based standard error of a row that has none (ROUGE's, for instance). */
export function withSampleSe(run: RunScores, row: ScoreRow): ScoreRow {
  if (row.stderr !== null || run.kind !== "run" || !run.dir || row.key === MMLU_GROUP) return row;
  const values = loadSampleMetric(run, row.task, row.metric);
  if (!values || values.size < 2) return row;
  const arr = [...values.values()];
  const f = sampleScale(row, () => mean(arr));
  const se = sampleSe(arr.map((v) => v * f));
  return se === null ? row : { ...row, stderr: se };
}
