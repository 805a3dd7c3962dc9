import type { Task } from "../api/task.js";
import { checkSplit } from "../datasets/loadSplit.js";
import { allColumns, MMLU_GROUP, MMLU_SUBJECT_PREFIX } from "../paper/suites.js";
import { allTasks } from "../tasks/registry.js";
import type { TaskListRow } from "../report/taskList.js";

/** A task as `tasks` lists it (the fields the terminal table shows, report/taskList.ts), and whether the paper's suites hold it. */
export interface CatalogueRow extends TaskListRow {
  inPaperSuite: boolean;
}

async function dataState(task: Task<unknown>, dataDir: string): Promise<string> {
  const evalState = await checkSplit(dataDir, task.evalData);
  const parts = [`eval ${evalState.state}`];
  if (task.fewshotData && task.fewshot.kind !== "none") parts.push(`shots ${(await checkSplit(dataDir, task.fewshotData)).state}`);
  return parts.join(", ");
}

export async function taskCatalogue(dataDir: string, options: { expandMmlu?: boolean } = {}): Promise<CatalogueRow[]> {
  const paperNames = new Set(allColumns().map((c) => c.task));
  const rows: CatalogueRow[] = [];
  let mmluShown = false;
  for (const t of allTasks()) {
    const isMmlu = t.name.startsWith(MMLU_SUBJECT_PREFIX);
    if (isMmlu && !options.expandMmlu) {
      if (mmluShown) continue;
      mmluShown = true;
      rows.push({
        name: MMLU_GROUP,
        aliases: ["hendrycksTest-<subject> (57)"],
        suite: t.suite,
        version: t.version,
        metric: `${t.primaryMetric} (mean of 57 subjects)`,
        defaultShots: t.defaultShots,
        fewshotSource: t.fewshotSource.replace(t.name.slice(MMLU_SUBJECT_PREFIX.length), "<subject>"),
        data: await dataState(t, dataDir),
        inPaperSuite: true,
      });
      continue;
    }
    rows.push({
      name: t.name,
      aliases: t.aliases,
      suite: t.suite,
      version: t.version,
      metric: t.primaryMetric,
      defaultShots: t.defaultShots,
      fewshotSource: t.fewshotSource,
      data: await dataState(t, dataDir),
      inPaperSuite: paperNames.has(t.name) || isMmlu,
    });
  }
  return rows;
}
