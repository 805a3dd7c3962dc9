// The regression gate's decision over a comparison's rows: the allowed drop of each row
// (--max-drop, --max-drop-task resolved through the task registry), Holm's step over the
// tested rows, and each row's verdict.

import { UserError } from "../errors.js";
import { findTask } from "../tasks/registry.js";
import type { CompareOptions, ComparisonRow, DraftRow, Verdict } from "./comparisonTypes.js";
import { holm } from "./stats.js";

/** The allowed drop of a row: a per-task override (task name, column key or average id) or the default. */
export function maxDropFor(keys: (string | null)[], options: CompareOptions): number {
  for (const k of keys) if (k !== null && options.maxDropTask[k] !== undefined) return options.maxDropTask[k]!;
  return options.maxDrop;
}

/**
 * The family-wise step: Holm over every row with a p-value, the interval of each row drawn at the
 * level its raw p is compared with (so it excludes 0 exactly when the adjusted p is below alpha),
 * and the verdict from the adjusted p.
 */
export function decide(drafts: DraftRow[], options: CompareOptions, notComparable: string | null): ComparisonRow[] {
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
export function resolveOverrides(rows: DraftRow[], options: CompareOptions): Record<string, number> {
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
