import type { Suite, Task } from "../api/task.js";
import { UserError } from "../errors.js";
import { jaTasks } from "./ja/index.js";
import { enTasks, mmluSubjects } from "./en/index.js";

/** Every task the harness knows, by reference name. */
export function allTasks(): Task<unknown>[] {
  return [...jaTasks, ...enTasks];
}

/** A suite as the paper runs it: tasks in table order with the paper's shots. */
export interface SuiteDefinition {
  id: Suite;
  title: string;
  /** Entries in table order; `mmlu` is a group of 57 subject tasks. */
  entries: { name: string; shots: number; paperKey: string }[];
}

export const SUITES: Record<Suite, SuiteDefinition> = {
  ja: {
    id: "ja",
    title: "Japanese (Stability-AI lm-evaluation-harness 0fa86429, prompt 0.3)",
    entries: [
      { name: "jcommonsenseqa-1.1-0.3", shots: 3, paperKey: "jcommonsenseqa" },
      { name: "jnli-1.1-0.3", shots: 3, paperKey: "jnli" },
      { name: "marc_ja-1.1-0.3", shots: 3, paperKey: "marc_ja" },
      { name: "jsquad-1.1-0.3", shots: 2, paperKey: "jsquad" },
      { name: "jaqket_v2-0.1-0.3", shots: 1, paperKey: "jaqket_v2" },
      { name: "xlsum_ja-1.0-0.3", shots: 1, paperKey: "xlsum_ja" },
      { name: "xwinograd_ja", shots: 0, paperKey: "xwinograd_ja" },
      { name: "mgsm-1.0-0.3", shots: 5, paperKey: "mgsm" },
    ],
  },
  en: {
    id: "en",
    title: "English (EleutherAI lm-evaluation-harness b281b09, Open LLM Leaderboard v1)",
    entries: [
      { name: "arc_challenge", shots: 25, paperKey: "arc_challenge" },
      { name: "hellaswag", shots: 10, paperKey: "hellaswag" },
      { name: "mmlu", shots: 5, paperKey: "mmlu" },
      { name: "truthfulqa_mc", shots: 0, paperKey: "truthfulqa_mc" },
    ],
  },
};

export const MMLU_GROUP = "mmlu";

export function mmluTaskNames(): string[] {
  return mmluSubjects.map((s) => `hendrycksTest-${s}`);
}

/** The paper's column a task reports into (variants share their family's column). */
export function paperKeyOf(taskName: string): string | undefined {
  if (taskName.startsWith("hendrycksTest-")) return MMLU_GROUP;
  for (const suite of Object.values(SUITES)) {
    for (const e of suite.entries) if (e.name === taskName) return e.paperKey;
  }
  const family = taskName.split("-")[0]!;
  const byFamily: Record<string, string> = {
    jcommonsenseqa: "jcommonsenseqa",
    jnli: "jnli",
    marc_ja: "marc_ja",
    jsquad: "jsquad",
    jaqket_v2: "jaqket_v2",
    xlsum_ja: "xlsum_ja",
    mgsm: "mgsm",
  };
  return byFamily[family];
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
      if (name === MMLU_GROUP) entries.push({ name, shots: 5 });
      else {
        const t = findTask(name);
        entries.push({ name: t.name, shots: t.defaultShots });
      }
    }
  } else {
    const suites: Suite[] = opts.suite === "all" ? ["ja", "en"] : [opts.suite ?? "ja"];
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
