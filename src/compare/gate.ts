// The regression gate's decision over a comparison's rows: the allowed drop of each row
// (--max-drop, --max-drop-task resolved through the task registry), the gate's test of each row
// against its allowance, Holm's step over the tested rows, and each row's verdict.
//
// The rule reads what the flag says. "drop" (default): a row fails when its interval — drawn at the
// level Holm tests it at — lies wholly below -maxDrop, i.e. the data show a drop larger than
// allowed (a one-sided test of "dropped by at most maxDrop"). With maxDrop 0 that is the old rule:
// a significant drop fails. "non-inferiority": a row passes only when its interval at alpha lies
// wholly above -maxDrop (the data show the drop is smaller than allowed) and its test could have
// detected a drop of maxDrop; every row must show it, so no multiplicity adjustment is needed
// (an intersection-union test).

import type { CompareOptions, ComparisonRow, DraftRow, GateRule, Verdict, VerdictFlag } from "./comparisonTypes.js";
import { holm } from "./holm.js";
import { resolveNames } from "./missing.js";

/** The allowed drop of a row: a per-task override (task name, column key or average id) or the default. */
export function maxDropFor(keys: (string | null)[], options: CompareOptions): number {
  for (const k of keys) if (k !== null && options.maxDropTask[k] !== undefined) return options.maxDropTask[k]!;
  return options.maxDrop;
}

/** The p-value of the gate's test of one tested row (see ComparisonRow.pGate). */
export function gateP(tested: NonNullable<DraftRow["tested"]>, maxDrop: number, rule: GateRule): number {
  return rule === "drop" ? tested.pBelow(-maxDrop) : tested.pAbove(-maxDrop);
}

/** Whether a row's test could not have detected a drop of its max drop. */
export function underpowered(d: Pick<DraftRow, "tested" | "minimalDetectable" | "maxDrop">): boolean {
  return d.tested !== null && (d.minimalDetectable === null || d.minimalDetectable > d.maxDrop);
}

/**
 * The verdict of one row, given its gate p-value after adjustment (null: untested or not gated).
 * Absent from the new run: FAIL unless allowed. Not comparable: neither passes nor fails.
 */
export function verdictOf(d: DraftRow, pAdjusted: number | null, alpha: number, rule: GateRule, rowNotComparable: boolean): { verdict: Verdict; failed: boolean } {
  if (d.absent !== null) return d.absentAllowed ? { verdict: "missing", failed: false } : { verdict: "FAIL", failed: true };
  if (d.newScore === null || d.baselineScore === null) return { verdict: "missing", failed: false };
  if (rowNotComparable) return { verdict: "not comparable", failed: false };
  const rejected = pAdjusted !== null && pAdjusted < alpha;
  if (rule === "drop") {
    if (pAdjusted === null) return { verdict: "untested", failed: false };
    return rejected ? { verdict: "FAIL", failed: true } : { verdict: "pass", failed: false };
  }
  // Non-inferiority: shown within the allowance by a test that could have seen the allowance.
  const shown = rejected && !underpowered(d);
  return shown ? { verdict: "pass", failed: false } : { verdict: "FAIL", failed: true };
}

/**
 * The family-wise step: the gate's p of every row with a test, Holm over the gated rows ("drop"),
 * the interval of each row drawn at the level its raw p is compared with (so it lies beyond
 * -maxDrop exactly when the adjusted p is below alpha), and the verdict.
 */
export function decide(drafts: DraftRow[], options: CompareOptions, notComparable: string | null): ComparisonRow[] {
  const rule = options.rule ?? "drop";
  const pGates = drafts.map((d) => (d.tested ? gateP(d.tested, d.maxDrop, rule) : null));
  // The family: every tested row that is gated. A row whose settings differ is not gated (it
  // neither passes nor fails), so it does not dilute the others; its interval is shown at alpha.
  const testedIdx = drafts.map((d, i) => (d.tested && !d.notComparable && d.absent === null ? i : -1)).filter((i) => i >= 0);
  const { adjusted, level } = holm(
    testedIdx.map((i) => pGates[i]!),
    options.alpha,
  );
  return drafts.map((d, i) => {
    const { tested, absentAllowed, ...rest } = d;
    const j = testedIdx.indexOf(i);
    const pGate = pGates[i] ?? null;
    // Non-inferiority asks every row to show it, each at alpha (no adjustment).
    const pAdjusted = j < 0 ? null : rule === "drop" ? adjusted[j]! : pGate;
    const lvl = j >= 0 && rule === "drop" ? level[j]! : tested ? options.alpha : null;
    const ci = tested && lvl !== null ? tested.intervalAt(lvl) : null;
    const rowNotComparable = notComparable ?? d.notComparable;
    const { verdict, failed } = verdictOf(d, pAdjusted, options.alpha, rule, rowNotComparable !== null);
    const flags: VerdictFlag[] = [];
    if (d.absent !== null) flags.push(absentAllowed ? "absent allowed" : "absent");
    if (rule === "drop" && verdict === "pass" && pGate !== null && pGate < options.alpha && pAdjusted !== null && pAdjusted >= options.alpha) flags.push("not after Holm");
    const weak = underpowered(d);
    // A pass that could not have seen the allowance says so; so does a non-inferiority FAIL for that reason.
    if (weak && (verdict === "pass" || (rule === "non-inferiority" && verdict === "FAIL" && d.absent === null))) flags.push("underpowered");
    return {
      ...rest,
      ci,
      level: lvl,
      pGate,
      pAdjusted,
      significant: pAdjusted !== null && pAdjusted < options.alpha,
      failed: failed && !rowNotComparable,
      underpowered: weak,
      flags,
      notComparable: rowNotComparable,
      verdict,
    };
  });
}

/**
 * Why a comparison tested nothing and failed nothing, or null: one line for the error compare
 * exits 2 with (a gate that compared nothing has not passed). Rows absent from the new run that
 * are not allowed fail instead (exit 1).
 */
export function nothingTestedReason(rows: readonly ComparisonRow[], notComparable: string | null): string | null {
  if (notComparable !== null || rows.some((r) => r.failed || r.pAdjusted !== null)) return null;
  const why = rows.map((r) => `${r.tasks.new ?? r.tasks.baseline ?? r.label}: ${r.absent ?? r.notes[0] ?? r.verdict}`);
  return why.length === 0 ? "the two sides have no task or average in common" : why.join("; ");
}

/**
 * Resolve the per-task overrides to names in this comparison (see resolveNames): a typo is an
 * input error, so it cannot disable the gate.
 */
export function resolveOverrides(rows: DraftRow[], options: CompareOptions): Record<string, number> {
  const resolved = resolveNames(rows, Object.keys(options.maxDropTask), "--max-drop-task");
  const out: Record<string, number> = {};
  for (const [name, drop] of Object.entries(options.maxDropTask)) out[resolved.get(name)!] = drop;
  return out;
}
