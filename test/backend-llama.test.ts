// The llama.cpp backend on a real (tiny) model. Expected scores come from
// node-llama-cpp used directly (test/support/llamaOracle.ts: the full-softmax
// `probabilities: true` path on a fresh sequence), never from the backend.

import { test } from "node:test";
import assert from "node:assert/strict";
import type { Backend, LoglikelihoodRequest, ResolvedGenerateRequest } from "../src/api/types.js";
import { createLlamaBackend } from "../src/backend/llama/index.js";
import { UserError } from "../src/util/errors.js";
import { LlamaOracle, STORIES_PATH, STORIES_SHA256, storiesSkip } from "./support/llamaOracle.js";

const PER_TOKEN_TOLERANCE = 1e-4; // nats
/** Per scored token: float32 rounding of three logit terms at |logit| ~ 16. */
const FLOAT32_BATCH_TOLERANCE = 4e-6;

function openBackend(extra: { contextSize?: number } = {}): Promise<Backend> {
  return createLlamaBackend({ modelPath: STORIES_PATH, threads: 1, modelSha256: STORIES_SHA256, ...extra });
}

function request(context: string, continuation: string, tokenization: LoglikelihoodRequest["tokenization"] = "separate"): LoglikelihoodRequest {
  return { type: "loglikelihood", context, continuation, tokenization };
}

/** Oracle score of a (context tokens, continuation tokens) pair with the reference's truncation written out here. */
async function oracleScore(oracle: LlamaOracle, contextTokens: number[], continuationTokens: number[], maxLength = 2048) {
  const all = [...contextTokens, ...continuationTokens];
  const input = all.slice(-(maxLength + 1)).slice(0, -1);
  return oracle.scoreWithProbabilities(input, input.length - continuationTokens.length, continuationTokens);
}

const CONTEXTS = [
  "Once upon a time, there was a little girl named Lily.",
  "Once upon a time, there was a big dog.",
  "Tom and his mom went to the park. They",
];
const CONTINUATIONS = [" She", " He was happy.", " played", "saw a ball"];

test("llama backend on stories260K", { skip: storiesSkip }, async (t) => {
  const oracle = await LlamaOracle.open();
  const backend = await openBackend();
  const timings: string[] = [];
  try {
    await t.test("describe() records the pinned settings", () => {
      const description = backend.describe();
      assert.equal(description.engine, "llama.cpp (node-llama-cpp)");
      assert.match(description.engineVersion, /node-llama-cpp 3\.22\.1/);
      assert.equal(description.modelSha256, STORIES_SHA256);
      assert.equal(description.kvCacheType, "f16");
      assert.equal(description.flashAttention, false);
      assert.equal(description.gpu, false);
      assert.equal(description.threads, 1);
      assert.equal(description.contextSize, 2048); // the training context (README)
      assert.equal(backend.eosText(), "</s>");
    });

    await t.test("(a) the logits path equals the full-probabilities path, and isGreedy agrees with the argmax", async () => {
      // The greedy continuation of the first context, so that one request must be greedy.
      const greedyContext = "Once upon a time,";
      const greedyTokens = await oracle.greedyTokens(oracle.tokenize(greedyContext), 4);
      const greedyText = oracle.detokenize(greedyTokens); // decoding drops the first piece's dummy-prefix space
      assert.deepEqual(oracle.tokenize(greedyText), greedyTokens, "the greedy text re-encodes to the greedy tokens");
      const requests = [
        request(greedyContext, greedyText),
        request(CONTEXTS[0]!, " She went to the park."),
        request(CONTEXTS[2]!, "played"),
        request("The cat sat on the", " mat", "encode_pair"),
        request("", "Once upon a time"),
      ];
      const started = performance.now();
      const results = await backend.loglikelihood(requests);
      const elapsed = performance.now() - started;
      let positions = 0;
      // Under encode_pair, "The cat sat on the" + " mat" splits the whole encoding after the
      // context's tokens, which leaves "▁mat" = what "mat" encodes to alone (checked here).
      assert.deepEqual(oracle.tokenize("The cat sat on the mat"), [...oracle.tokenize("The cat sat on the"), ...oracle.tokenize("mat")]);
      const continuationOverride = new Map([[3, oracle.tokenize("mat")]]);
      for (const [index, item] of requests.entries()) {
        const contextTokens = item.context === "" ? [oracle.eosId] : oracle.tokenize(item.context);
        const continuationTokens = continuationOverride.get(index) ?? oracle.tokenize(item.continuation);
        positions += continuationTokens.length;
        const expected = await oracleScore(oracle, contextTokens, continuationTokens);
        const got = results[index]!;
        assert.ok(
          Math.abs(got.logprob - expected.logprob) <= PER_TOKEN_TOLERANCE * continuationTokens.length,
          `request ${index}: backend ${got.logprob}, oracle ${expected.logprob}`,
        );
        assert.equal(got.isGreedy, expected.isGreedy, `request ${index} isGreedy`);
      }
      assert.equal(results[0]!.isGreedy, true);
      assert.equal(results[1]!.isGreedy, false);
      timings.push(`(a) ${requests.length} requests, ${positions} scored positions: ${elapsed.toFixed(1)} ms`);
    });

    await t.test("(b) KV reuse and reordering give the same scores as each request alone in a fresh backend", async () => {
      const requests: LoglikelihoodRequest[] = [];
      for (const context of CONTEXTS) for (const continuation of CONTINUATIONS) requests.push(request(context, continuation));
      requests.push(request("", "Once upon a time"));
      // Interleave so that the backend must reorder to share prefixes.
      const shuffled = requests.map((_, index) => (index * 5) % requests.length).map((index) => requests[index]!);
      assert.equal(new Set(shuffled).size, requests.length);
      const started = performance.now();
      const progress: Array<[number, number]> = [];
      const together = await backend.loglikelihood(shuffled, (done, total) => progress.push([done, total]));
      assert.deepEqual(progress, shuffled.map((_, index) => [index + 1, shuffled.length]));
      timings.push(`(b) ${shuffled.length} requests with prefix reuse: ${(performance.now() - started).toFixed(1)} ms`);
      let maxDifference = 0;
      for (const [index, item] of shuffled.entries()) {
        const fresh = await openBackend();
        try {
          const [alone] = await fresh.loglikelihood([item]);
          maxDifference = Math.max(maxDifference, Math.abs(alone!.logprob - together[index]!.logprob));
          assert.equal(together[index]!.isGreedy, alone!.isGreedy);
        } finally {
          await fresh.dispose();
        }
      }
      timings.push(`(b) largest |reuse − alone| over ${shuffled.length} requests: ${maxDifference}`);
      // Reuse changes how tokens are grouped into forward passes (a shared position is
      // evaluated once, in the batch of the first request that needs it), and float32 matrix
      // products round differently with the batch shape: a few float32 ulps of a logit
      // (|logit| ~ 10 → ulp ~ 1e-6) per token, far below any score difference that matters.
      assert.ok(maxDifference <= FLOAT32_BATCH_TOLERANCE * 5, `reuse changed a score by ${maxDifference}`);
      // The scores also match the oracle, so a wrong but consistent reuse cannot pass.
      for (const [index, item] of shuffled.entries()) {
        const contextTokens = item.context === "" ? [oracle.eosId] : oracle.tokenize(item.context);
        const continuationTokens = oracle.tokenize(item.continuation);
        const expected = await oracleScore(oracle, contextTokens, continuationTokens);
        assert.ok(Math.abs(together[index]!.logprob - expected.logprob) <= PER_TOKEN_TOLERANCE * continuationTokens.length);
      }
    });

    await t.test("(c) both tokenization rules on real text", async () => {
      const context = "Once upon a time, there was a little ";
      const continuation = "girl";
      const stripped = oracle.tokenize("Once upon a time, there was a little");
      // SentencePiece merges the moved space with the word: the whole encoding is the
      // stripped context's tokens followed by "▁girl", which is what "girl" encodes to alone.
      assert.deepEqual(oracle.tokenize(context.trimEnd() + " " + continuation), [...stripped, ...oracle.tokenize(continuation)]);
      const withSpace = oracle.tokenize(context);
      assert.equal(withSpace.length, stripped.length + 1, "the trailing space is its own piece when encoded alone");

      const [separate, pair] = await backend.loglikelihood([request(context, continuation, "separate"), request(context, continuation, "encode_pair")]);
      const expectedSeparate = await oracleScore(oracle, withSpace, oracle.tokenize(continuation));
      const expectedPair = await oracleScore(oracle, stripped, oracle.tokenize(continuation));
      assert.ok(Math.abs(separate!.logprob - expectedSeparate.logprob) <= PER_TOKEN_TOLERANCE);
      assert.ok(Math.abs(pair!.logprob - expectedPair.logprob) <= PER_TOKEN_TOLERANCE);
      assert.ok(Math.abs(separate!.logprob - pair!.logprob) > 1e-2, "the rules should give different scores here");

      // Stability's rule encodes a leading-space continuation with the dummy prefix in front: "▁" + "▁She".
      const [spaced] = await backend.loglikelihood([request(CONTEXTS[0]!, " She", "separate")]);
      const spacedTokens = oracle.tokenize(" She");
      assert.equal(spacedTokens.length, 2);
      const expectedSpaced = await oracleScore(oracle, oracle.tokenize(CONTEXTS[0]!), spacedTokens);
      assert.ok(Math.abs(spaced!.logprob - expectedSpaced.logprob) <= PER_TOKEN_TOLERANCE * 2);

      // Empty context under encode_pair: [eos] + enc(continuation).
      const [emptyPair] = await backend.loglikelihood([request("", " Lily", "encode_pair")]);
      const expectedEmpty = await oracleScore(oracle, [oracle.eosId], oracle.tokenize(" Lily"));
      assert.ok(Math.abs(emptyPair!.logprob - expectedEmpty.logprob) <= PER_TOKEN_TOLERANCE * 2);
    });

    await t.test("(d) an input longer than the training context is left-truncated like the reference, without error", async () => {
      const sentence = "Once upon a time, there was a little girl named Lily. She loved to play with her toys. ";
      let context = "";
      while (oracle.tokenize(context).length <= 2100) context += sentence;
      const continuation = "She was happy.";
      const contextTokens = oracle.tokenize(context);
      const continuationTokens = oracle.tokenize(continuation);
      assert.ok(contextTokens.length + continuationTokens.length > 2049);
      const started = performance.now();
      const [long] = await backend.loglikelihood([request(context, continuation)]);
      timings.push(`(d) one ${contextTokens.length + continuationTokens.length}-token request truncated to 2048: ${(performance.now() - started).toFixed(1)} ms`);
      // Truncation written out by hand: the last 2049 tokens, minus the last one, as input.
      const all = [...contextTokens, ...continuationTokens];
      const kept = all.slice(all.length - 2049);
      const input = kept.slice(0, 2048);
      const expected = await oracle.scoreWithProbabilities(input, 2048 - continuationTokens.length, continuationTokens);
      assert.ok(Math.abs(long!.logprob - expected.logprob) <= PER_TOKEN_TOLERANCE * continuationTokens.length, `${long!.logprob} vs ${expected.logprob}`);
      // The score depends on the window, so a wrong truncation would be seen.
      const shortWindow = all.slice(all.length - 201, -1);
      const shorter = await oracle.scoreWithProbabilities(shortWindow, 200 - continuationTokens.length, continuationTokens);
      assert.ok(Math.abs(shorter.logprob - expected.logprob) > 1e-3, `${shorter.logprob} vs ${expected.logprob}`);
    });

    await t.test("a fixed context size that is too small is an error, not a silent shift", async () => {
      const small = await openBackend({ contextSize: 32 });
      try {
        await assert.rejects(small.loglikelihood([request(CONTEXTS[0]!.repeat(3), " She")]), (error: unknown) => error instanceof UserError && error.kind === "model");
        const [fits] = await small.loglikelihood([request(CONTEXTS[1]!, " He was happy.")]);
        const expected = await oracleScore(oracle, oracle.tokenize(CONTEXTS[1]!), oracle.tokenize(" He was happy."));
        assert.ok(Math.abs(fits!.logprob - expected.logprob) <= PER_TOKEN_TOLERANCE * 5);
      } finally {
        await small.dispose();
      }
    });

    await t.test("the KV cache type option reaches llama.cpp", async () => {
      const f32 = await createLlamaBackend({ modelPath: STORIES_PATH, threads: 1, modelSha256: STORIES_SHA256, kvCacheType: "f32" });
      try {
        assert.equal(f32.describe().kvCacheType, "f32");
        // An F32 cache rounds differently from the default F16 one: the scores move, slightly.
        const item = request(CONTEXTS[0]!, " He was happy.");
        const [withF32] = await f32.loglikelihood([item]);
        const [withF16] = await backend.loglikelihood([item]);
        const difference = Math.abs(withF32!.logprob - withF16!.logprob);
        assert.ok(difference > 0 && difference < 0.05, `f32 vs f16 KV cache: ${difference}`);
        timings.push(`f32 vs f16 KV cache on a 5-token continuation: ${difference}`);
      } finally {
        await f32.dispose();
      }
    });

    await t.test("(e) greedy generation stops at the stop strings or the cap, and repeats itself", async () => {
      const storyPrompt = "Once upon a time,";
      const reference = await oracle.greedyTokens(oracle.tokenize(storyPrompt), 120);
      const referenceText = oracle.detokenize(reference);
      assert.ok(referenceText.includes("\n"), "the oracle story contains a newline");

      // Cap: exactly 7 tokens; no stop string occurs in them.
      const capText = oracle.detokenize(reference.slice(0, 7));
      assert.notEqual(capText, oracle.detokenize(reference.slice(0, 6)));
      assert.notEqual(capText, oracle.detokenize(reference.slice(0, 8)));
      assert.ok(!capText.includes("\n"));

      const requests: ResolvedGenerateRequest[] = [
        { context: storyPrompt, until: ["\n"], maxTokens: 7 },
        { context: storyPrompt, until: ["\n"], maxTokens: 120 },
        { context: "The dog", until: ["<s>", "\n"], maxTokens: 120 },
        { context: "Lily", until: ["."], maxTokens: 60 },
      ];
      const started = performance.now();
      const outputs = await backend.generate(requests);
      timings.push(`(e) ${requests.length} generations: ${(performance.now() - started).toFixed(1)} ms`);
      assert.equal(outputs[0], capText);
      assert.equal(outputs[1], referenceText.split("\n")[0]);
      // The stories model ends a story with "<s>"; special tokens are rendered as text and cut.
      const dogText = oracle.detokenize(await oracle.greedyTokens(oracle.tokenize("The dog"), 120));
      assert.ok(dogText.indexOf("<s>") >= 0 && dogText.indexOf("<s>") < (dogText.indexOf("\n") + 1 || Infinity));
      assert.equal(outputs[2], dogText.split("<s>")[0]!.split("\n")[0]);
      const lilyText = oracle.detokenize(await oracle.greedyTokens(oracle.tokenize("Lily"), 60));
      assert.ok(lilyText.includes("."));
      assert.equal(outputs[3], lilyText.split(".")[0]);

      const again = await backend.generate([requests[1]!, requests[0]!]);
      assert.deepEqual(again, [outputs[1], outputs[0]]);
    });
  } finally {
    await backend.dispose();
    await oracle.dispose();
    for (const line of timings) t.diagnostic(line);
  }
});
