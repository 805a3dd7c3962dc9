// The English suite (EleutherAI lm-evaluation-harness b281b09, Open LLM Leaderboard v1 settings).

import type { Task } from "../../api/task.js";
import { arcChallengeTask } from "./arcChallenge.js";
import { hellaswagTask } from "./hellaswag.js";
import { mmluTasks } from "./mmlu.js";
import { truthfulQaTask } from "./truthfulqa.js";

export { mmluGroupName, mmluSubjects, mmluTaskNames } from "./mmlu.js";

/**
 * A task typed by its own doc as a task over unknown docs. Sound because the evaluator only hands a
 * task the docs that the same task's `parseDocs` returned.
 */
function eraseDocType<Doc>(task: Task<Doc>): Task<unknown> {
  return task as unknown as Task<unknown>;
}

export const enTasks: Task<unknown>[] = [
  eraseDocType(arcChallengeTask),
  eraseDocType(hellaswagTask),
  ...mmluTasks.map((task) => eraseDocType(task)),
  eraseDocType(truthfulQaTask),
];
