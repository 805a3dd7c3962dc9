// The English suite (EleutherAI lm-evaluation-harness b281b09, Open LLM Leaderboard v1 settings).

import type { Task } from "../../api/task.js";
import { eraseDocType } from "../eraseDocType.js";
import { arcChallengeTask } from "./arcChallenge.js";
import { hellaswagTask } from "./hellaswag.js";
import { mmluTasks } from "./mmlu.js";
import { truthfulQaTask } from "./truthfulqa.js";

export { mmluGroupName, mmluSubjects, mmluTaskNames } from "./mmlu.js";

export const enTasks: Task<unknown>[] = [
  eraseDocType(arcChallengeTask),
  eraseDocType(hellaswagTask),
  ...mmluTasks.map((task) => eraseDocType(task)),
  eraseDocType(truthfulQaTask),
];
