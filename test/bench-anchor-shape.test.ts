// The anchor's workload shape (bench/anchor/scoringShape.ts): the batch size and cache depth
// our evaluations have, for llama-bench's `-p N -d D`. Expected values worked out by hand, and
// on real JCommonsenseQA and MMLU requests from an independent prefix trie built here.

import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { benchRate, ceilingBenchArgs, evaluationShape, prefillBenchArgs, roundRatios, scoringShape } from "../bench/anchor/scoringShape.js";
import { loadTokenizer } from "../src/backend/llama/index.js";
import { tokenizeScoringRequests } from "../src/backend/planning/planner.js";
import { planTask } from "../src/evaluation/taskPlan.js";
import { findTask } from "../src/tasks/registry.js";
import type { LoglikelihoodRequest } from "../src/api/types.js";
import { sharedSkip } from "./support/sharedData.js";

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

test("roundRatios divides each round's whole-process tokens/s by that round's ceiling, leaving busy rounds out", () => {
  // 600 tokens in 1 s against 800 → 0.75; 600 tokens in 2 s = 300/s against 600 → 0.5; busy round left out.
  assert.deepEqual(roundRatios([{ tokens: 600, wallMs: 1000, ceiling: 800 }, { tokens: 600, wallMs: 2000, ceiling: 600 }, { tokens: 600, wallMs: 1000, ceiling: undefined }]), [0.75, 0.5]);
  assert.deepEqual(roundRatios([]), []);
});

const DATA_DIR = path.resolve(process.cwd(), "../shared/datasets");
const VOCAB = path.resolve(process.cwd(), "../shared/models/vocab/llm-jp-v2.2-vocab.gguf");
const realSkip = sharedSkip(DATA_DIR, VOCAB);

test("scoringShape on real JCommonsenseQA and MMLU requests agrees with a prefix trie built here", { skip: realSkip }, async () => {
  const tokenizer = await loadTokenizer(VOCAB);
  try {
    for (const [task, shots, limit] of [["jcommonsenseqa-1.1-0.3", 3, 20], ["hendrycksTest-astronomy", 5, 10]] as const) {
      const plan = await planTask({ task: findTask(task), shots }, { dataDir: DATA_DIR, limit });
      const requests = plan.docs.flatMap((doc) => doc.requests).filter((r): r is LoglikelihoodRequest => r.type === "loglikelihood");
      const encode = (text: string): number[] => tokenizer.tokenize(text);
      const maxLength = tokenizer.trainContextSize;
      // The model's inputs, independently: the reference's (context + continuation)[-(maxLength + 1):][:-1].
      const inputs = tokenizeScoringRequests(requests, encode, tokenizer.eosId).map(({ context, continuation }) => [...context, ...continuation].slice(-(maxLength + 1), -1));
      // Inserted into a trie in lexicographic order: each input's new nodes are evaluated from the depth where it leaves the trie.
      inputs.sort((a, b) => {
        for (let k = 0; k < Math.min(a.length, b.length); k++) if (a[k] !== b[k]) return a[k]! - b[k]!;
        return a.length - b.length;
      });
      const root = new Map<number, Map<number, unknown>>();
      let tokens = 0;
      let evaluations = 0;
      let batchWeighted = 0;
      let depthWeighted = 0;
      for (const input of inputs) {
        let node = root;
        let depth = 0;
        while (depth < input.length && node.has(input[depth]!)) node = node.get(input[depth++]!) as Map<number, Map<number, unknown>>;
        const added = input.length - depth;
        for (let k = depth; k < input.length; k++) {
          const child = new Map<number, Map<number, unknown>>();
          node.set(input[k]!, child);
          node = child;
        }
        if (added === 0) continue;
        tokens += added;
        evaluations++;
        batchWeighted += added * added;
        depthWeighted += added * depth;
      }
      const shape = scoringShape(requests, encode, tokenizer.eosId, maxLength);
      assert.deepEqual(shape, { tokens, evaluations, batchTokens: Math.round(batchWeighted / tokens), depth: Math.round(depthWeighted / tokens) }, task);
      // Sanity of the workload itself: one question's choices share its context, so far fewer tokens than the inputs hold.
      assert.ok(tokens < inputs.reduce((sum, input) => sum + input.length, 0) / 2, `${task}: the trie shares prefixes`);
      if (task.startsWith("hendrycksTest")) assert.ok(shape.depth > 300, `MMLU's questions sit after the 5-shot prefix (depth ${shape.depth})`);
    }
  } finally {
    await tokenizer.dispose();
  }
});
