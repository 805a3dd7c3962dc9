// Benchmark instrumentation is opt-in: a backend created without `instrument` measures no
// time and never runs the extraction calibration, whose extra evaluation clears sequence 0
// (so the next call could not reuse its cache). Work counts are the same either way.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { LoglikelihoodRequest } from "../src/api/types.js";
import { createLlamaBackend } from "../src/backend/llama/index.js";
import { STORIES_PATH, STORIES_SHA256, storiesSkip } from "./support/llamaOracle.js";

test("timings and calibration only with instrument: true; production keeps the cache between calls", { skip: storiesSkip }, async () => {
  const context = "Once upon a time, there was a little";
  const outcomes: { evaluationMs: number; scoreExtractionMs: number; secondCallTokens: number; inputTokens: number; logprobs: number[] }[] = [];
  for (const instrument of [false, true]) {
    const backend = await createLlamaBackend({ modelPath: STORIES_PATH, threads: 1, modelSha256: STORIES_SHA256, ...(instrument ? { instrument } : {}) });
    try {
      // A one-token continuation: every evaluation reads one position, so no gap between
      // two results is ever seen and the instrumented backend calibrates after the call.
      const continuation = ["a", "b", "c", "d", "e"].find((text) => backend.tokenize(text).length === 1);
      assert.ok(continuation !== undefined, "some letter is one token");
      const request: LoglikelihoodRequest = { type: "loglikelihood", context, continuation, tokenization: "separate" };
      const [first] = await backend.loglikelihood([request]);
      const before = backend.stats!().tokensEvaluated;
      const [second] = await backend.loglikelihood([request]);
      const stats = backend.stats!();
      outcomes.push({
        evaluationMs: stats.evaluationMs,
        scoreExtractionMs: stats.scoreExtractionMs,
        secondCallTokens: stats.tokensEvaluated - before,
        inputTokens: backend.tokenize(context).length,
        logprobs: [first!.logprob, second!.logprob],
      });
    } finally {
      await backend.dispose();
    }
  }
  const [production, instrumented] = outcomes as [(typeof outcomes)[0], (typeof outcomes)[0]];
  assert.equal(production.evaluationMs, 0);
  assert.equal(production.scoreExtractionMs, 0);
  // The cache still holds the context: only its last token is evaluated again.
  assert.equal(production.secondCallTokens, 1);
  assert.ok(instrumented.evaluationMs > 0 && instrumented.scoreExtractionMs > 0);
  // The calibration cleared the cache: the whole input is evaluated again.
  assert.equal(instrumented.secondCallTokens, instrumented.inputTokens);
  for (const { logprobs } of outcomes) for (const logprob of logprobs) assert.ok(Math.abs(logprob - production.logprobs[0]!) < 1e-4);
});

test("an instrumented backend times generation steps apart from each prompt's prefill; production reports none", { skip: storiesSkip }, async () => {
  // A stop string the model cannot produce: every generation runs to its cap.
  const requests = [
    { context: "Once upon a time, there was a little", until: ["\u0000never"], maxTokens: 6 },
    { context: "One day, a girl named Lily", until: ["\u0000never"], maxTokens: 4 },
  ];
  for (const instrument of [false, true]) {
    const backend = await createLlamaBackend({ modelPath: STORIES_PATH, threads: 1, modelSha256: STORIES_SHA256, ...(instrument ? { instrument } : {}) });
    try {
      await backend.generate(requests);
      const stats = backend.stats!();
      assert.equal(stats.generatedTokens, 10);
      if (!instrument) {
        assert.equal(stats.generationSteps, undefined);
        continue;
      }
      // Each generation's first token comes from the step that evaluates its prompt: 6 + 4
      // tokens, 2 prefill steps, 8 generation steps.
      assert.equal(stats.generationSteps?.count, 8);
      assert.ok(stats.generationSteps.ms > 0 && stats.generationSteps.ms < stats.evaluationMs);
    } finally {
      await backend.dispose();
    }
  }
});
