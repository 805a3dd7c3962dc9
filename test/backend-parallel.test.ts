// Exactness of the fast scoring paths: prefix reuse, token-order reordering, one evaluation
// for all candidates of a shared position, and several sequences whose decodes merge.
// Expected values: each request evaluated alone by node-llama-cpp directly (the oracle's
// logits path on a fresh sequence), the full-probabilities path, and work counts derived
// here from a prefix trie built from the oracle's own tokenization.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { Backend, BackendStats, LoglikelihoodRequest, ResolvedGenerateRequest } from "../src/api/types.js";
import { createLlamaBackend } from "../src/backend/llama/index.js";
import { UserError } from "../src/util/errors.js";
import { LlamaOracle, STORIES_PATH, STORIES_SHA256, TINY_LLAMA2_PATH, TINY_LLAMA2_SHA256 } from "./support/llamaOracle.js";
import { sharedSkip } from "./support/sharedData.js";

/**
 * Per scored token, against the same request evaluated alone. Reuse evaluates a request's
 * tokens in other forward passes than "alone" does (a shared position once, in the batch of
 * the first request that needs it), and llama.cpp's float32 matrix and softmax sums round
 * differently with the batch shape. With an F32 KV cache that stays at float32 rounding
 * (stories260K: a few 1e-6 nats per token; llama-2-tiny-random: identical). With the default
 * F16 cache a last-bit difference in a key or value can flip its f16 rounding, which moves a
 * score by up to ~1e-4 nats per token (stories260K). A misplaced position or a wrong target
 * would be off by tenths of a nat or more.
 */
const ALONE_TOLERANCE = { f32: 1e-5, f16: 1e-3 } as const;
/** Per scored token, against the full-probabilities path (../shared/spec/llama-backend.md saw 1e-5). */
const PROBABILITIES_TOLERANCE = 1e-4;

function request(context: string, continuation: string, tokenization: LoglikelihoodRequest["tokenization"]): LoglikelihoodRequest {
  return { type: "loglikelihood", context, continuation, tokenization };
}

// A few-shot-like workload: a fixed primer (shared by every question), questions with
// single-token and multi-token choices under both rules, a duplicate, an empty
// continuation, and a request whose input is a prefix of another's.
const PRIMER = "Once upon a time, there was a little girl named Lily. She loved to play outside in the sun.\n\n";
const QUESTIONS = ["Q: Who went to the park?\nA:", "Q: What did the dog see?\nA:", "Q: Where was the cat?\nA:"];
const LETTER_CHOICES = [" A", " B", " C", " D"];
const WORD_CHOICES = [" Lily", " the big dog", " a ball", " Lily and Tom"];

function workload(): LoglikelihoodRequest[] {
  const requests: LoglikelihoodRequest[] = [];
  for (const question of QUESTIONS) {
    for (const choice of LETTER_CHOICES) requests.push(request(PRIMER + question, choice, "encode_pair"));
    for (const choice of WORD_CHOICES) requests.push(request(PRIMER + question, choice, "separate"));
  }
  requests.push(request(PRIMER + QUESTIONS[0]!, " Lily", "separate")); // a duplicate
  requests.push(request(PRIMER + QUESTIONS[1]!, "", "separate")); // scores nothing
  requests.push(request(PRIMER.trimEnd(), " She", "encode_pair")); // input is a prefix of others
  requests.push(request("", "Once upon a time", "separate")); // [EOS] context
  return requests;
}

/** The reference's token split, written out here from the oracle tokenizer (short inputs: no truncation). */
function tokensOf(oracle: LlamaOracle, item: LoglikelihoodRequest): { input: number[]; firstScored: number; targets: number[] } {
  let contextTokens: number[];
  let targets: number[];
  if (item.context === "") {
    contextTokens = [oracle.eosId];
    targets = oracle.tokenize(item.continuation);
  } else if (item.tokenization === "separate") {
    contextTokens = oracle.tokenize(item.context);
    targets = oracle.tokenize(item.continuation);
  } else {
    const stripped = item.context.replace(/\s+$/u, "");
    contextTokens = oracle.tokenize(stripped);
    targets = oracle.tokenize(stripped + item.context.slice(stripped.length) + item.continuation).slice(contextTokens.length);
  }
  const all = [...contextTokens, ...targets];
  const input = all.slice(0, -1);
  return { input, firstScored: input.length - targets.length, targets };
}

/** Nodes of a prefix trie over the inputs, and the distinct (prefix) nodes whose next token is scored. */
function trieCounts(inputs: { input: number[]; firstScored: number; targets: number[] }[]): { nodes: number; scoredNodes: number } {
  const nodes = new Set<string>();
  const scored = new Set<string>();
  for (const { input, firstScored, targets } of inputs) {
    let key = "";
    input.forEach((token, position) => {
      key += `${token},`;
      nodes.add(key);
      if (targets.length > 0 && position >= firstScored) scored.add(key);
    });
  }
  return { nodes: nodes.size, scoredNodes: scored.size };
}

function difference(before: BackendStats, after: BackendStats): BackendStats {
  return {
    requestTokens: after.requestTokens - before.requestTokens,
    tokensEvaluated: after.tokensEvaluated - before.tokensEvaluated,
    prefixTrieTokens: after.prefixTrieTokens - before.prefixTrieTokens,
    scoredPositions: after.scoredPositions - before.scoredPositions,
    scoreExtractionMs: after.scoreExtractionMs - before.scoreExtractionMs,
    evaluationMs: after.evaluationMs - before.evaluationMs,
    generatedTokens: after.generatedTokens - before.generatedTokens,
    sequences: after.sequences,
  };
}

const MODELS = [
  { name: "stories260K", path: STORIES_PATH, sha256: STORIES_SHA256 },
  { name: "llama-2-tiny-random", path: TINY_LLAMA2_PATH, sha256: TINY_LLAMA2_SHA256 },
];

for (const [model, kvCacheType] of MODELS.flatMap((m) => [[m, "f32"], [m, "f16"]] as const)) {
  const skip = sharedSkip(model.path);
  test(`reuse, reordering and parallel sequences give each request's own score (${model.name}, ${kvCacheType} KV cache)`, { skip }, async (t) => {
    // The backend's first context has 512 cells; the oracle uses the same, since the padded
    // KV length changes how llama.cpp groups the attention softmax sums (float32 noise).
    const oracle = await LlamaOracle.open(model.path, 512, kvCacheType === "f32" ? "F32" : "F16");
    const requests = workload();
    // Shuffle deterministically so that the backend has to reorder.
    const shuffled = requests.map((_, index) => (index * 11 + 3) % requests.length).map((index) => requests[index]!);
    assert.equal(new Set(shuffled).size, requests.length);
    const split = shuffled.map((item) => tokensOf(oracle, item));
    const alone: { logprob: number; isGreedy: boolean }[] = [];
    for (const { input, firstScored, targets } of split) {
      alone.push(targets.length === 0 ? { logprob: 0, isGreedy: true } : await oracle.scoreAloneWithLogits(input, firstScored, targets));
    }
    const trie = trieCounts(split);
    try {
      // The F16 variant only checks the tolerance for the default cache: fewer runs keep the test short.
      for (const sequences of kvCacheType === "f32" ? [1, 2, 3] : [1, 3]) {
        const backend: Backend = await createLlamaBackend({ modelPath: model.path, threads: 1, modelSha256: model.sha256, sequences, kvCacheType });
        try {
          assert.equal(backend.describe().sequences, sequences);
          const before = backend.stats!();
          const results = await backend.loglikelihood(shuffled);
          const work = difference(before, backend.stats!());
          let largest = 0;
          for (const [index, item] of shuffled.entries()) {
            const { targets, input, firstScored } = split[index]!;
            const got = results[index]!;
            const expected = alone[index]!;
            const gap = Math.abs(got.logprob - expected.logprob);
            largest = Math.max(largest, gap);
            assert.ok(gap <= ALONE_TOLERANCE[kvCacheType] * Math.max(1, targets.length), `${sequences} sequences, request ${index} (${JSON.stringify(item.continuation)}): ${got.logprob} vs alone ${expected.logprob}`);
            assert.equal(got.isGreedy, expected.isGreedy, `request ${index} isGreedy`);
            if (targets.length > 0) {
              const full = await oracle.scoreWithProbabilities(input, firstScored, targets);
              assert.ok(Math.abs(got.logprob - full.logprob) <= PROBABILITIES_TOLERANCE * targets.length, `request ${index}: ${got.logprob} vs full softmax ${full.logprob}`);
            }
          }
          // The duplicate gets the same numbers as its original.
          const copies = shuffled.flatMap((item, index) => (item.context === PRIMER + QUESTIONS[0] && item.continuation === " Lily" ? [index] : []));
          assert.equal(copies.length, 2);
          const [original, duplicate] = copies as [number, number];
          assert.notEqual(original, duplicate);
          assert.deepEqual(results[original], results[duplicate]);

          assert.equal(work.requestTokens, split.reduce((sum, { input }) => sum + input.length, 0));
          assert.equal(work.prefixTrieTokens, trie.nodes);
          if (sequences === 1) {
            // One sequence evaluates each trie node once, and reads each scored node once with
            // every candidate token of that position in one filter list.
            assert.equal(work.tokensEvaluated, trie.nodes);
            assert.equal(work.scoredPositions, trie.scoredNodes);
          } else {
            // Each sequence may evaluate the shared prefix once more.
            assert.ok(work.tokensEvaluated >= trie.nodes && work.tokensEvaluated <= trie.nodes + sequences * (PRIMER.length + 40), `${work.tokensEvaluated} tokens for ${trie.nodes} trie nodes`);
          }
          assert.ok(work.tokensEvaluated < work.requestTokens / 3, "shared prefixes must be reused");
          t.diagnostic(`${model.name}, ${kvCacheType} KV, ${sequences} sequence(s): ${work.tokensEvaluated} tokens evaluated (trie ${trie.nodes}, naive ${work.requestTokens}), ${work.scoredPositions} scored positions, largest |together − alone| ${largest.toExponential(2)}`);
        } finally {
          await backend.dispose();
        }
      }
    } finally {
      await oracle.dispose();
    }
  });
}

// The Llama-2 vocabulary has "▁A".."▁D" (stories260K's 512 pieces split some letters).
test("MMLU-style letters after one context cost one evaluation of the context's last position", { skip: sharedSkip(TINY_LLAMA2_PATH) }, async () => {
  const oracle = await LlamaOracle.open(TINY_LLAMA2_PATH, 512);
  const backend = await createLlamaBackend({ modelPath: TINY_LLAMA2_PATH, threads: 1, modelSha256: TINY_LLAMA2_SHA256, sequences: 1 });
  try {
    const context = PRIMER + QUESTIONS[2]! + " The answer is";
    const letters = LETTER_CHOICES.map((choice) => request(context, choice, "encode_pair"));
    const split = letters.map((item) => tokensOf(oracle, item));
    for (const { targets } of split) assert.equal(targets.length, 1, "each letter is one token after the context");
    const before = backend.stats!();
    const results = await backend.loglikelihood(letters);
    const work = difference(before, backend.stats!());
    assert.equal(work.scoredPositions, 1);
    assert.equal(work.tokensEvaluated, split[0]!.input.length);
    for (const [index, { input, firstScored, targets }] of split.entries()) {
      const expected = await oracle.scoreWithProbabilities(input, firstScored, targets);
      assert.ok(Math.abs(results[index]!.logprob - expected.logprob) <= PROBABILITIES_TOLERANCE);
      assert.equal(results[index]!.isGreedy, expected.isGreedy);
    }
  } finally {
    await backend.dispose();
    await oracle.dispose();
  }
});

test("greedy generation on two sequences equals one sequence and node-llama-cpp's own loop", { skip: sharedSkip(STORIES_PATH) }, async () => {
  const oracle = await LlamaOracle.open();
  const requests: ResolvedGenerateRequest[] = [
    { context: "Once upon a time,", until: ["\n"], maxTokens: 40 },
    { context: "Once upon a time, there was", until: ["."], maxTokens: 40 },
    { context: "The dog", until: ["<s>", "\n"], maxTokens: 30 },
    { context: "Lily", until: ["."], maxTokens: 25 },
    { context: "Once upon a time,", until: ["\n"], maxTokens: 9 },
  ];
  try {
    const outputs: string[][] = [];
    for (const sequences of [1, 2]) {
      const backend = await createLlamaBackend({ modelPath: STORIES_PATH, threads: 1, modelSha256: STORIES_SHA256, sequences });
      try {
        outputs.push(await backend.generate(requests));
        const stats = backend.stats!();
        assert.ok(stats.generatedTokens > 0 && stats.tokensEvaluated > 0);
      } finally {
        await backend.dispose();
      }
    }
    assert.deepEqual(outputs[1], outputs[0]);
    for (const [index, item] of requests.entries()) {
      const text = oracle.detokenize(await oracle.greedyTokens(oracle.tokenize(item.context), item.maxTokens));
      let expected = text;
      for (const stop of item.until) expected = expected.split(stop)[0]!;
      assert.equal(outputs[0]![index], expected, `request ${index}`);
    }
  } finally {
    await oracle.dispose();
  }
});

test("the number of sequences is validated", { skip: sharedSkip(STORIES_PATH) }, async () => {
  for (const sequences of [0, 1.5, -2]) {
    await assert.rejects(createLlamaBackend({ modelPath: STORIES_PATH, threads: 1, modelSha256: STORIES_SHA256, sequences }), (error: unknown) => error instanceof UserError && error.kind === "usage");
  }
  const backend = await createLlamaBackend({ modelPath: STORIES_PATH, threads: 1, modelSha256: STORIES_SHA256 });
  try {
    assert.equal(backend.describe().sequences, 1, "one sequence by default on a CPU, whatever the threads");
  } finally {
    await backend.dispose();
  }
});
