import type { DataFileRef, Suite, Task } from "../api/task.js";
import { UserError } from "../util/errors.js";
import { datasetRefs } from "../datasets/manifests.js";
import { columnKeyOfTask, columnOf, MMLU_GROUP, MMLU_SUBJECT_PREFIX, PAPER_SUITES, SUITE_IDS } from "../paper/suites.js";
import { jaTasks } from "./ja/index.js";
import { enTasks, mmluSubjects } from "./en/index.js";

/** Every task the harness knows, by reference name. */
export function allTasks(): Task<unknown>[] {
  return [...jaTasks, ...enTasks];
}

/** A suite as the paper runs it: tasks in table order with the paper's shots (from paper/suites.ts). */
export interface SuiteDefinition {
  id: Suite;
  title: string;
  /** Entries in table order; `mmlu` is a group of 57 subject tasks. */
  entries: { name: string; shots: number; paperKey: string }[];
}

function suiteDefinition(id: Suite): SuiteDefinition {
  const suite = PAPER_SUITES[id];
  return { id, title: suite.title, entries: suite.columns.map((c) => ({ name: c.task, shots: c.shots, paperKey: c.key })) };
}

export const SUITES: Record<Suite, SuiteDefinition> = { ja: suiteDefinition("ja"), en: suiteDefinition("en") };

export { MMLU_GROUP };

export function mmluTaskNames(): string[] {
  return mmluSubjects.map((s) => `${MMLU_SUBJECT_PREFIX}${s}`);
}

/** The paper's column a task reports into (variants share their family's column). */
export function paperKeyOf(taskName: string): string | undefined {
  return columnKeyOfTask(taskName);
}

/**
 * Every split of every manifest a suite's tasks read from (so `datasets pull --suite` also
 * fetches e.g. MMLU's val files). The data layer knows no tasks: callers resolve a suite here
 * and hand the refs to `pullDatasets`.
 */
export function suiteDatasetRefs(suite: Suite | "all"): DataFileRef[] {
  const ids = new Set(selectTasks({ suite }).flatMap(({ task }) => [task.evalData, ...(task.fewshotData ? [task.fewshotData] : [])]).map((r) => r.dataset));
  return datasetRefs([...ids]);
}

/** Find a task by name or alias; unknown names are a usage error listing the closest names. */
export function findTask(name: string): Task<unknown> {
  const tasks = allTasks();
  const hit = tasks.find((t) => t.name === name || t.aliases.includes(name));
  if (hit) return hit;
  const near = tasks
    .map((t) => t.name)
    .filter((n) => n.startsWith(name.slice(0, 3)))
    .slice(0, 4);
  throw new UserError(
    "usage",
    `Unknown task "${name}"; run \`rakuten-eval tasks\` for the list${near.length ? ` (did you mean ${near.join(", ")}?)` : ""}.`,
  );
}

export interface TaskSelection {
  task: Task<unknown>;
  /** Shots requested for the task. */
  shots: number;
  /** The suite entry it came from (`mmlu` for a subject), if any. */
  group?: string;
}

/**
 * Resolve `--suite`/`--tasks` and `--shots` into tasks with their shot counts.
 * `shots` is one number for every task, or a comma list in entry order.
 */
export function selectTasks(opts: { suite?: Suite | "all"; tasks?: string[]; shots?: number[] }): TaskSelection[] {
  const entries: { name: string; shots: number }[] = [];
  if (opts.tasks && opts.tasks.length > 0) {
    for (const name of opts.tasks) {
      if (name === MMLU_GROUP) entries.push({ name, shots: columnOf(MMLU_GROUP)!.shots });
      else {
        const t = findTask(name);
        entries.push({ name: t.name, shots: t.defaultShots });
      }
    }
  } else {
    const suites: readonly Suite[] = opts.suite === "all" ? SUITE_IDS : [opts.suite ?? "ja"];
    for (const s of suites) entries.push(...SUITES[s].entries.map((e) => ({ name: e.name, shots: e.shots })));
  }
  if (opts.shots && opts.shots.length > 1 && opts.shots.length !== entries.length) {
    throw new UserError(
      "usage",
      `--shots has ${opts.shots.length} values but ${entries.length} tasks are selected (${entries.map((e) => e.name).join(", ")}); give one number or one per task.`,
    );
  }
  const out: TaskSelection[] = [];
  entries.forEach((e, i) => {
    const shots = opts.shots === undefined || opts.shots.length === 0 ? e.shots : opts.shots.length === 1 ? opts.shots[0]! : opts.shots[i]!;
    if (e.name === MMLU_GROUP) {
      for (const n of mmluTaskNames()) out.push({ task: findTask(n), shots, group: MMLU_GROUP });
    } else out.push({ task: findTask(e.name), shots });
  });
  return out;
}
