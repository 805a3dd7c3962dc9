// Batched scoring and generation across sequences on real prompts (../shared/datasets):
// JCommonsenseQA 3-shot (a question's choices share its context) and MMLU 5-shot (the
// questions of a subject share the 5-shot prefix), scored with 4 sequences (a shared prefix
// evaluated once and copied, the rest of several requests in one merged decode) and with
// 1, each against the request evaluated alone by node-llama-cpp directly (test oracle);
// MGSM 5-shot greedy generation on 4 sequences against 1.
// Expected token splits come from the reference rules in src/backend/tokenization.ts (the
// spec's encode_pair / separate and left truncation), not from the planner or the scorer.

import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import type { BackendStats, LoglikelihoodRequest } from "../src/api/types.js";
import { createLlamaBackend } from "../src/backend/llama/index.js";
import { encodePair, separatePair, truncateLeft } from "../src/backend/tokenization.js";
import { resolveGenerate } from "../src/evaluation/evaluator.js";
import { planTask } from "../src/evaluation/taskPlan.js";
import { findTask } from "../src/tasks/registry.js";
import { LlamaOracle, STORIES_PATH, STORIES_SHA256, TINY_LLAMA2_PATH, TINY_LLAMA2_SHA256 } from "./support/llamaOracle.js";
import { sharedSkip } from "./support/sharedData.js";

const DATA_DIR = path.resolve(process.cwd(), "../shared/datasets");
/** Per scored token against the request alone, F32 KV cache (see backend-parallel.test.ts for why it is not 0). */
const ALONE_TOLERANCE_F32 = 1e-5;

async function scoringRequests(): Promise<LoglikelihoodRequest[]> {
  const requests: LoglikelihoodRequest[] = [];
  for (const [task, shots, limit] of [["jcommonsenseqa-1.1-0.3", 3, 3], ["hendrycksTest-anatomy", 5, 3]] as const) {
    const plan = await planTask({ task: findTask(task), shots }, { dataDir: DATA_DIR, limit });
    for (const doc of plan.docs) for (const request of doc.requests) if (request.type === "loglikelihood") requests.push(request);
  }
  return requests;
}

function difference(after: BackendStats, before: BackendStats): { tokensEvaluated: number; prefixTrieTokens: number; decodes: number } {
  return {
    tokensEvaluated: after.tokensEvaluated - before.tokensEvaluated,
    prefixTrieTokens: after.prefixTrieTokens - before.prefixTrieTokens,
    decodes: (after.decodes ?? 0) - (before.decodes ?? 0),
  };
}

const MODELS = [
  { name: "stories260K", path: STORIES_PATH, sha256: STORIES_SHA256 },
  { name: "llama-2-tiny-random", path: TINY_LLAMA2_PATH, sha256: TINY_LLAMA2_SHA256 },
];

for (const model of MODELS) {
  const skip = sharedSkip(path.join(DATA_DIR, "jcommonsenseqa"), path.join(DATA_DIR, "mmlu"), model.path);
  test(`batched scoring on 4 sequences gives each request its own score on JCommonsenseQA and MMLU prompts (${model.name}, F32 KV cache)`, { skip, timeout: 900_000 }, async (t) => {
    const requests = await scoringRequests();
    const runs: { sequences: number; logprobs: number[]; greedy: boolean[]; work: ReturnType<typeof difference> }[] = [];
    let maxLength = 0;
    for (const sequences of [1, 4]) {
      const backend = await createLlamaBackend({ modelPath: model.path, threads: 1, modelSha256: model.sha256, sequences, kvCacheType: "f32" });
      try {
        maxLength = Number(backend.describe().maxLength);
        const before = backend.stats!();
        const results = await backend.loglikelihood(requests);
        runs.push({ sequences, logprobs: results.map((r) => r.logprob), greedy: results.map((r) => r.isGreedy), work: difference(backend.stats!(), before) });
      } finally {
        await backend.dispose();
      }
    }
    const oracle = await LlamaOracle.open(model.path, 512 * Math.ceil((maxLength + 2) / 512), "F32");
    try {
      const encode = (text: string): number[] => oracle.tokenize(text);
      let largestAlone = 0;
      let largestBetween = 0;
      for (const [index, request] of requests.entries()) {
        const pair = request.tokenization === "encode_pair"
          ? encodePair(request.context, request.continuation, encode, oracle.eosId)
          : separatePair(request.context, request.continuation, encode, oracle.eosId);
        const window = truncateLeft(pair.contextTokens, pair.continuationTokens, maxLength);
        const targets = pair.continuationTokens;
        const input = window.inputTokens;
        const alone = await oracle.scoreAloneWithLogits(input, window.firstScoredPosition, targets);
        for (const run of runs) {
          const gap = Math.abs(run.logprobs[index]! - alone.logprob);
          largestAlone = Math.max(largestAlone, gap / targets.length);
          assert.ok(gap <= ALONE_TOLERANCE_F32 * targets.length, `${run.sequences} sequences, request ${index}: ${run.logprobs[index]} vs alone ${alone.logprob}`);
          assert.equal(run.greedy[index], alone.isGreedy, `${run.sequences} sequences, request ${index}: isGreedy`);
        }
        largestBetween = Math.max(largestBetween, Math.abs(runs[0]!.logprobs[index]! - runs[1]!.logprobs[index]!));
      }
      const [one, four] = runs as [(typeof runs)[0], (typeof runs)[0]];
      // Tokens: one sequence evaluates exactly the prefix trie; four copy shared prefixes and
      // pad short items, which may cost a few percent more.
      assert.equal(one.work.tokensEvaluated, one.work.prefixTrieTokens);
      assert.ok(four.work.tokensEvaluated <= 1.05 * four.work.prefixTrieTokens, `4 sequences: ${four.work.tokensEvaluated} tokens for a trie of ${four.work.prefixTrieTokens}`);
      assert.ok(four.work.decodes < one.work.decodes, `4 sequences: ${four.work.decodes} decodes, 1 sequence: ${one.work.decodes}`);
      t.diagnostic(
        `${model.name}: ${requests.length} requests; 1 sequence ${one.work.tokensEvaluated} tokens in ${one.work.decodes} decodes; 4 sequences ${four.work.tokensEvaluated} tokens (trie ${four.work.prefixTrieTokens}) in ${four.work.decodes} decodes; ` +
          `largest |batched − alone| per token ${largestAlone.toExponential(2)} nats; largest |4 − 1 sequences| per request ${largestBetween.toExponential(2)} nats`,
      );
    } finally {
      await oracle.dispose();
    }
  });
}

const mgsmSkip = sharedSkip(path.join(DATA_DIR, "mgsm"), STORIES_PATH);
test("greedy generation on 4 sequences sharing the 5-shot prefix equals one sequence (MGSM prompts, stories260K)", { skip: mgsmSkip, timeout: 900_000 }, async (t) => {
  const plan = await planTask({ task: findTask("mgsm-1.0-0.3"), shots: 5 }, { dataDir: DATA_DIR, limit: 3 });
  const outputs: string[][] = [];
  const work: ReturnType<typeof difference>[] = [];
  for (const sequences of [1, 4]) {
    const backend = await createLlamaBackend({ modelPath: STORIES_PATH, threads: 1, modelSha256: STORIES_SHA256, sequences });
    try {
      const requests = plan.docs.flatMap((doc) => doc.requests.flatMap((request) => (request.type === "generate" ? [{ ...resolveGenerate(request, backend), maxTokens: 24 }] : [])));
      const before = backend.stats!();
      outputs.push(await backend.generate(requests));
      work.push(difference(backend.stats!(), before));
    } finally {
      await backend.dispose();
    }
  }
  assert.equal(outputs[0]!.length, 3);
  assert.deepEqual(outputs[1], outputs[0]);
  t.diagnostic(`MGSM × 3: 1 sequence ${work[0]!.tokensEvaluated} tokens evaluated, 4 sequences ${work[1]!.tokensEvaluated} (prompt trie ${work[1]!.prefixTrieTokens})`);
});
