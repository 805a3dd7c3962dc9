// The context check, before any model call: a request that cannot fit the model's context stops
// the run with the fix; requests that fit only once cut from the left (as the reference harness
// does) are noted. Only requests the cache cannot answer will run, so only those are counted.

import path from "node:path";
import { UserError } from "../util/errors.js";
import type { CachingBackend } from "../backend/cachingBackend.js";
import type { PlannedTask } from "../evaluation/taskPlan.js";
import type { RunOptions } from "./runOptions.js";
import { unansweredRequests } from "./runPartial.js";
import { contextPlan } from "./validate.js";

export function checkContext(
  backend: CachingBackend,
  planned: PlannedTask[],
  options: Pick<RunOptions, "remote" | "contextSize" | "model">,
  log: (line: string) => void,
): void {
  const limits = backend.limits?.();
  if (limits === undefined) return;
  const { maxLength } = limits;
  const todo = unansweredRequests(planned, backend);
  const plan = contextPlan(backend, todo.loglikelihood, todo.generate, limits);
  if (plan.tooLong > 0) {
    throw new UserError(
      "model",
      options.remote
        ? `${plan.tooLong} request(s) need up to ${plan.longest + 2} tokens on the server (input, scored token and one generated token), more than its max_model_len allows; start the server with a context of at least ${plan.longest + 2} tokens (vLLM --max-model-len, SGLang --context-length).`
        : options.contextSize !== undefined && options.contextSize < maxLength
        ? `--context-size ${options.contextSize} is too small: ${plan.tooLong} request(s) need up to ${plan.longest} tokens even after the reference's truncation to the model's ${maxLength}; raise --context-size to at least ${plan.longest}, or leave it out.`
        : `${plan.tooLong} generation request(s) ask for more tokens than ${path.basename(options.model)}'s ${maxLength}-token context holds; use a model with a longer context.`,
    );
  }
  if (plan.truncated > 0) {
    log(`note: ${plan.truncated} request(s) are longer than ${path.basename(options.model)}'s ${maxLength}-token context; their contexts are cut from the left, as the reference harness does.`);
  }
}
