// The anchor's workload shape (bench/anchor/scoringShape.ts): the batch size and cache depth
// our evaluations have, for llama-bench's `-p N -d D`. Expected values worked out by hand.

import { test } from "node:test";
import assert from "node:assert/strict";
import { benchRate, ceilingBenchArgs, evaluationShape, prefillBenchArgs, scoringShape } from "../bench/anchor/scoringShape.js";
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

test("ceilingBenchArgs asks llama-bench for prefill only: pp512 from an empty cache, and the workload's shape", () => {
  const { pp512, shape } = ceilingBenchArgs("m.gguf", { tokens: 100, evaluations: 3, batchTokens: 92, depth: 640 }, 2, false);
  const value = (args: string[], flag: string): string | undefined => args[args.indexOf(flag) + 1];
  assert.deepEqual([value(pp512, "-p"), value(pp512, "-d"), value(pp512, "-n")], ["512", "0", "0"]);
  assert.deepEqual([value(shape, "-p"), value(shape, "-d"), value(shape, "-n")], ["92", "640", "0"]);
  for (const args of [pp512, shape]) {
    assert.equal(value(args, "-m"), "m.gguf");
    assert.equal(value(args, "-t"), "2");
    assert.equal(value(args, "-fa"), "0");
    assert.equal(value(args, "-o"), "json");
  }
  // An empty workload still asks for one token, which llama-bench accepts (it refuses -p 0 -n 0).
  assert.equal(value(prefillBenchArgs("m.gguf", 0, 0, 1, true), "-p"), "1");
  assert.equal(value(prefillBenchArgs("m.gguf", 0, 0, 1, true), "-fa"), "1");
});

test("benchRate reads avg_ts from llama-bench's JSON output", () => {
  // Abridged from `llama-bench -o json` (tools/llama-bench/llama-bench.cpp, json_printer): an array of test rows.
  const stdout = '[\n  {\n    "build_commit": "de3ff81",\n    "n_prompt": 92,\n    "n_gen": 0,\n    "n_depth": 640,\n    "avg_ns": 147324000,\n    "stddev_ns": 2100000,\n    "avg_ts": 624.5,\n    "stddev_ts": 16.9\n  }\n]\n';
  assert.equal(benchRate(stdout), 624.5);
  assert.equal(benchRate("[]"), undefined);
  assert.equal(benchRate('[{"avg_ts": 0}]'), undefined);
});
