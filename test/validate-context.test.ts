// The context check before any model call (`contextPlan`), with a fake tokenizer of one
// token per character, and the limits the caching wrapper passes on. Expected counts are
// worked out by hand in the comments.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { Backend, BackendLimits, LoglikelihoodRequest, ResolvedGenerateRequest } from "../src/api/types.js";
import { CachingBackend } from "../src/backend/cachingBackend.js";
import { contextPlan } from "../src/run/validate.js";

const perCharacter = { tokenize: (text: string) => [...text].map((c) => c.codePointAt(0)!) };

const scored = (context: string, continuation: string): LoglikelihoodRequest => ({ type: "loglikelihood", context, continuation, tokenization: "separate" });
const generation = (context: string, maxTokens: number): ResolvedGenerateRequest => ({ context, until: ["\n"], maxTokens });

const LOGLIKELIHOOD = [
  scored("abc", "d"), // bound (3+1) + (1+1) − 1 = 5 cells: passed untokenized
  scored("a".repeat(20), "bc"), // 20 + 2 − 1 = 21 cells uncut: truncated to 10
  scored("あいうえおかきくけ", "こ"), // 27 + 3 bytes: over the bound, but 9 + 1 − 1 = 9 cells
];
const GENERATE = [
  generation("x".repeat(8), 5), // 8 + 5 − 1 = 12 uncut; keeps the last 10 − 5 = 5: 9 cells
  generation("y", 12), // cap ≥ maxLength: drops 2 from the front, nothing left: 0 + 11 = 11 cells, uncut 12
  generation("z".repeat(50), 0), // generates nothing
];

test("contextPlan counts cut and oversized requests with the backend's layout", () => {
  // maxLength 10, no fixed context: fits 10. Cut: the 21-cell pair and both generations; too long: the 11-cell one.
  assert.deepEqual(contextPlan(perCharacter, LOGLIKELIHOOD, GENERATE, { maxLength: 10, contextSize: 10 }), { longest: 11, truncated: 3, tooLong: 1 });
  // A fixed context of 8 cells: the 10-, 9-, 9- and 11-cell requests do not fit.
  assert.deepEqual(contextPlan(perCharacter, LOGLIKELIHOOD, GENERATE, { maxLength: 10, contextSize: 8 }), { longest: 11, truncated: 3, tooLong: 4 });
  // A fixed context above the model's: still bounded by the model's 10.
  assert.deepEqual(contextPlan(perCharacter, LOGLIKELIHOOD, GENERATE, { maxLength: 10, contextSize: 20 }), { longest: 11, truncated: 3, tooLong: 1 });
  // Short requests are never tokenized.
  const refuse = { tokenize: (): number[] => assert.fail("a short request was tokenized") };
  assert.deepEqual(contextPlan(refuse, [scored("abc", "d")], [generation("ab", 3)], { maxLength: 10, contextSize: 10 }), { longest: 0, truncated: 0, tooLong: 0 });
});

test("the caching wrapper passes the inner backend's limits on, and has none without them", () => {
  const fake = (limits?: BackendLimits): Backend => ({
    loglikelihood: async () => [],
    generate: async () => [],
    tokenize: () => [],
    eosText: () => "</s>",
    describe: () => ({ engine: "fake", engineVersion: "0", modelPath: "m", modelSha256: "0", contextSize: 4, batchSize: 1, threads: 1, kvCacheType: "f16", flashAttention: false, gpu: false }),
    dispose: async () => {},
    ...(limits ? { limits: () => limits } : {}),
  });
  assert.deepEqual(new CachingBackend(fake({ maxLength: 2048, contextSize: 64 }), { store: null }).limits?.(), { maxLength: 2048, contextSize: 64 });
  assert.equal(new CachingBackend(fake(), { store: null }).limits, undefined);
});
