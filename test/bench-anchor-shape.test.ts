// The anchor's workload shape (bench/anchor/scoringShape.ts): the batch size and cache depth
// our evaluations have, for llama-bench's `-p N -d D`. Expected values worked out by hand.

import { test } from "node:test";
import assert from "node:assert/strict";
import { evaluationShape, scoringShape, shapeBenchArgs } from "../bench/anchor/scoringShape.js";
import type { LoglikelihoodRequest } from "../src/api/types.js";

test("evaluationShape weights batch size and depth by the tokens evaluated", () => {
  // 10 tokens from depth 0, 4 from depth 8, nothing new (fully shared), 6 from depth 2.
  const shape = evaluationShape([
    { length: 10, sharedWithPrevious: 0 },
    { length: 12, sharedWithPrevious: 8 },
    { length: 12, sharedWithPrevious: 12 },
    { length: 8, sharedWithPrevious: 2 },
  ]);
  // tokens 20; batch (100 + 16 + 36) / 20 = 7.6 → 8; depth (0 + 32 + 12) / 20 = 2.2 → 2.
  assert.deepEqual(shape, { tokens: 20, evaluations: 3, batchTokens: 8, depth: 2 });
  assert.deepEqual(evaluationShape([]), { tokens: 0, evaluations: 0, batchTokens: 0, depth: 0 });
});

test("scoringShape follows the trie: a shared few-shot prefix once, then each question's tail at its depth", () => {
  // One character per token. Two questions under a 6-character prefix "PPPPPP", two choices each.
  const encode = (text: string): number[] => [...text].map((c) => c.codePointAt(0)!);
  const request = (context: string, continuation: string): LoglikelihoodRequest => ({ type: "loglikelihood", context, continuation, tokenization: "separate" });
  const requests = [request("PPPPPPqa", "x"), request("PPPPPPqa", "yz"), request("PPPPPPqb", "x"), request("PPPPPPqb", "w")];
  // The model's input is context + continuation without its last token (the reference's
  // `(context + continuation)[:-1]`): "PPPPPPqa", "PPPPPPqay", "PPPPPPqb", "PPPPPPqb".
  // Trie order: "PPPPPPqa" 8 new from depth 0; "PPPPPPqay" 1 new from depth 8; "PPPPPPqb" 1 new
  // from depth 7; the second "PPPPPPqb" nothing new.
  // tokens 10; batch (64 + 1 + 1) / 10 = 6.6 → 7; depth (0 + 8 + 7) / 10 = 1.5 → 2.
  assert.deepEqual(scoringShape(requests, encode, 2, 1024), { tokens: 10, evaluations: 3, batchTokens: 7, depth: 2 });
});

test("shapeBenchArgs asks llama-bench for prefill only, at the shape, with the benchmark's threads and attention", () => {
  const args = shapeBenchArgs("m.gguf", { tokens: 100, evaluations: 3, batchTokens: 92, depth: 640 }, 2, false);
  const value = (flag: string): string | undefined => args[args.indexOf(flag) + 1];
  assert.equal(value("-p"), "92");
  assert.equal(value("-d"), "640");
  assert.equal(value("-n"), "0");
  assert.equal(value("-t"), "2");
  assert.equal(value("-fa"), "0");
  assert.equal(value("-o"), "json");
  assert.equal(shapeBenchArgs("m.gguf", { tokens: 0, evaluations: 0, batchTokens: 0, depth: 0 }, 1, true)[args.indexOf("-p") + 1], "1");
});
