import type { Task } from "../api/task.js";
import type { PyRandom } from "../random/pyRandom.js";
import { stratifiedSample } from "../tasks/ja/stratified.js";

/**
 * Picks the few-shot examples for one doc, drawing from the task's own RNG in the
 * order the reference evaluators do: per task `Random(42)`, one `shuffle` of the
 * eval docs, then one draw per doc in shuffled order (only when k > 0).
 */
export function fewshotSampler<Doc>(task: Task<Doc>, rnd: PyRandom, pool: readonly Doc[], k: number): Doc[] {
  if (k === 0) return [];
  switch (task.fewshot.kind) {
    case "random":
      // `rnd.sample(self._training_docs, k)`: training docs are never eval docs, so no exclusion.
      return rnd.sample(pool, k);
    case "first":
      // MMLU: the first k dev docs in file order; the RNG is not touched.
      return pool.slice(0, k);
    case "stratified": {
      const labelOf = task.fewshotLabel;
      if (!labelOf) throw new Error(`${task.name}: stratified few-shot sampling needs fewshotLabel`);
      return stratifiedSample(rnd, pool, k, (d: Doc) => labelOf.call(task, d));
    }
    case "none":
      return [];
  }
}
