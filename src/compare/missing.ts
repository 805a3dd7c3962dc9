// Rows the baseline has and the new run does not: why each is absent (the run's own skip reason
// when it recorded one), whether the user allowed it (--allow-missing), and the names a user may
// give a row (--allow-missing, --max-drop-task). A candidate that skipped a task has not passed a
// gate on it, so an absence fails the gate unless it is allowed by name.

import { UserError } from "../util/errors.js";
import { columnOf, MMLU_GROUP } from "../paper/suites.js";
import type { RunScores } from "../results/read.js";
import { findTask } from "../tasks/registry.js";
import { MMLU_KEYS } from "./pairing.js";

/** What a user's name can match in a row: its key (column, task or average id) and the tasks behind it. */
export interface NamedRow {
  key: string;
  tasks: { new: string | null; baseline: string | null };
}

/**
 * Resolve user-given names to the row keys or task names of this comparison: a task name, column
 * key or average id as is, or any name or alias `run` accepts (`jcs`, `xwino`) through the task
 * registry. A name that matches nothing is an input error, so a typo cannot change the verdict.
 */
export function resolveNames(rows: readonly NamedRow[], names: readonly string[], flag: string): Map<string, string> {
  const known = new Set<string>();
  for (const r of rows) {
    known.add(r.key);
    if (r.tasks.new) known.add(r.tasks.new);
    if (r.tasks.baseline) known.add(r.tasks.baseline);
  }
  const out = new Map<string, string>();
  const unknown: string[] = [];
  for (const name of names) {
    if (known.has(name)) {
      out.set(name, name);
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
    else out.set(name, resolved);
  }
  if (unknown.length > 0) {
    throw new UserError("usage", `${flag} ${unknown.join(", ")}: no such task or average in this comparison; use a task name or alias, or one of: ${[...known].join(", ")}.`);
  }
  return out;
}

/** Whether a row is named by any of the resolved names (its key, or either side's task). */
export function namedBy(row: NamedRow, resolved: ReadonlySet<string>): boolean {
  return resolved.has(row.key) || (row.tasks.baseline !== null && resolved.has(row.tasks.baseline)) || (row.tasks.new !== null && resolved.has(row.tasks.new));
}

/** The tasks a baseline row stands for: MMLU's subjects for the MMLU row, else its own task. */
function tasksOf(baseRun: RunScores, key: string, task: string): string[] {
  if (!MMLU_KEYS.has(key)) return [task];
  return baseRun.doc?.group_subtasks[key] ?? baseRun.doc?.group_subtasks[MMLU_GROUP] ?? [];
}

/**
 * Why a baseline row is absent from the new run, in the run's words where it recorded them:
 * "skipped: <reason>" (e.g. its data missing), a subset of MMLU scored instead of all 57
 * subjects, or a task the run did not select.
 */
export function absenceReason(newRun: RunScores, baseRun: RunScores, key: string, baseTask: string): string {
  const skipped = newRun.doc?.rakuten_eval.skipped ?? [];
  const tasks = new Set(tasksOf(baseRun, key, baseTask));
  const isMmlu = MMLU_KEYS.has(key);
  const hits = skipped.filter((s) => tasks.has(s.task) || (isMmlu && s.task.startsWith("hendrycksTest-")));
  if (hits.length > 0) {
    const first = hits[0]!;
    const more = hits.length > 1 ? ` (and ${hits.length - 1} more subject${hits.length > 2 ? "s" : ""})` : "";
    return `skipped: ${isMmlu ? `${first.task}: ` : ""}${first.reason}${more}`;
  }
  if (isMmlu && newRun.rows.some((r) => r.key === "mmlu_subset")) return "the new run scored a subset of MMLU's subjects, not all 57";
  return "not in the new run's results: it did not select the task";
}

/**
 * Against the paper, which has a figure for every column: whether the new run set out to score
 * this column (scored it, or recorded it as skipped). A column it never selected is no regression.
 */
export function selectedByNewRun(newRun: RunScores, key: string): boolean {
  if (newRun.rows.some((r) => r.key === key)) return true;
  const task = columnOf(key)?.task;
  const skipped = newRun.doc?.rakuten_eval.skipped ?? [];
  if (key === MMLU_GROUP) return skipped.some((s) => s.task.startsWith("hendrycksTest-"));
  return task !== undefined && skipped.some((s) => s.task === task);
}
