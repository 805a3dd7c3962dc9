// Lists of tasks mix doc types; the registry holds them as `Task<unknown>`.

import type { Task } from "../api/task.js";

/**
 * A task typed by its own Doc seen as `Task<unknown>`, for lists of mixed tasks.
 * Safe as long as the caller hands each task only docs that its own `parseDocs` produced,
 * which is what the evaluator does.
 */
export function eraseDocType<Doc>(task: Task<Doc>): Task<unknown> {
  return task as unknown as Task<unknown>;
}
