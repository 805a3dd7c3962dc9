// The benchmark's synthetic GGUF writer (bench/syntheticGguf.ts): the file follows the GGUF v3
// layout (read back by the independent test reader), carries the vocabulary's tokenizer keys
// unchanged, is deterministic, and llama.cpp computes on it what the float64 reference forward
// pass (test/support/llamaReference.ts) computes from the same weights.

import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { MISTRAL_7B_SHAPE, planTensors, SYNTHETIC_SHAPES, writeSyntheticGguf, type SyntheticModelShape } from "../bench/syntheticGguf.js";
import { createLlamaBackend } from "../src/backend/llama/index.js";
import { readGguf } from "./support/ggufReader.js";
import { LlamaReference, referenceLoglikelihood } from "./support/llamaReference.js";
import { sharedSkip } from "./support/sharedData.js";

const VOCAB_PATH = path.resolve(process.cwd(), "../shared/models/vocab/llm-jp-v2.2-vocab.gguf");
const skip = sharedSkip(VOCAB_PATH);

// Small enough for a test; grouped-query attention (4 heads, 2 KV heads) so the K/V shapes are checked too.
// A large weight scale makes the next-token distributions peaked, so that wrong weights or a
// wrong layout could not pass as "about uniform".
const SHAPE: SyntheticModelShape = {
  embeddingLength: 64,
  blockCount: 2,
  headCount: 4,
  headCountKv: 2,
  feedForwardLength: 128,
  contextLength: 512,
  seed: 7,
  weightStd: 0.4,
};

function sha256(file: string): string {
  return createHash("sha256").update(readFileSync(file)).digest("hex");
}

test("the synthetic GGUF is a valid, deterministic llama model with the vocabulary's tokenizer", { skip }, async (t) => {
  const directory = mkdtempSync(path.join(os.tmpdir(), "synthetic-gguf-"));
  try {
    const first = writeSyntheticGguf(path.join(directory, "a.gguf"), VOCAB_PATH, SHAPE);
    const second = writeSyntheticGguf(path.join(directory, "b.gguf"), VOCAB_PATH, SHAPE);
    assert.equal(first.reused, false);
    assert.equal(sha256(first.path), sha256(second.path), "the same shape and seed give the same bytes");
    assert.equal(writeSyntheticGguf(first.path, VOCAB_PATH, SHAPE).reused, true);
    assert.equal(readFileSync(first.path).length, first.bytes);

    const file = readGguf(first.path);
    const vocabulary = readGguf(VOCAB_PATH);
    assert.equal(file.version, 3);
    const tokenizerKeys = [...vocabulary.metadata.keys()].filter((key) => key.startsWith("tokenizer."));
    assert.ok(tokenizerKeys.length >= 5);
    for (const key of tokenizerKeys) assert.deepEqual(file.metadata.get(key), vocabulary.metadata.get(key), key);
    const vocabularySize = (vocabulary.metadata.get("tokenizer.ggml.tokens") as unknown[]).length;
    assert.equal(vocabularySize, 48586);
    assert.equal(file.metadata.get("general.architecture"), "llama");
    assert.equal(file.metadata.get("llama.context_length"), 512);
    assert.equal(file.metadata.get("llama.attention.head_count_kv"), 2);
    assert.deepEqual(file.tensors.get("token_embd.weight")?.dims, [64, vocabularySize]);
    assert.deepEqual(file.tensors.get("blk.1.attn_k.weight")?.dims, [64, 32]);
    assert.deepEqual(file.tensors.get("blk.1.ffn_down.weight")?.dims, [128, 64]);
    assert.equal(file.tensors.size, 1 + 9 * SHAPE.blockCount + 1);
    // Parameters: embeddings (tied to the output) + per layer 2·d² + 2·d·kv + 3·d·ff + 2·d, + final norm.
    const d = 64;
    assert.equal(first.parameters, vocabularySize * d + SHAPE.blockCount * (2 * d * d + 2 * d * 32 + 3 * d * 128 + 2 * d) + d);

    // llama.cpp on the file against the float64 forward pass on the same weights. llama.cpp
    // rounds activations to 8 bits for Q8_0 products, so agreement is to a few hundredths.
    const backend = await createLlamaBackend({ modelPath: first.path, threads: 1, modelSha256: sha256(first.path), kvCacheType: "f32" });
    try {
      const reference = LlamaReference.load(first.path);
      const context = "日本の首都は東京です。富士山は";
      const continuation = "日本一高い山です。";
      const contextTokens = backend.tokenize(context);
      const continuationTokens = backend.tokenize(continuation);
      const expected = referenceLoglikelihood(reference, contextTokens, continuationTokens);
      const [got] = await backend.loglikelihood([{ type: "loglikelihood", context, continuation, tokenization: "separate" }]);
      const uniform = -Math.log(vocabularySize) * continuationTokens.length;
      assert.ok(Math.abs(expected.logprob - uniform) > 2, `the distributions should be far from uniform: ${expected.logprob} vs ${uniform}`);
      t.diagnostic(`${continuationTokens.length} tokens: llama.cpp ${got!.logprob}, float64 reference ${expected.logprob}, uniform ${uniform}`);
      assert.ok(Math.abs(got!.logprob - expected.logprob) <= 0.05 * continuationTokens.length, `llama.cpp ${got!.logprob} vs float64 reference ${expected.logprob}`);
    } finally {
      await backend.dispose();
    }
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});

test("--shape 7b: Mistral-7B's tensor plan (untied output, 32/8 heads) and a small variant of it that llama.cpp loads and scores like the float64 pass", { skip }, async () => {
  // The full plan, counted by hand: embeddings and the untied output (V·d each), per layer
  // q and o (d²), k and v (d·1024: 8 KV heads of 128), gate/up/down (d·14336), two norms, and the final norm.
  const vocabularySize = 48586;
  const d = 4096;
  const tensors = planTensors(MISTRAL_7B_SHAPE, vocabularySize);
  const parameters = tensors.reduce((sum, tensor) => sum + tensor.dims.reduce((product, x) => product * x, 1), 0);
  assert.equal(parameters, 2 * vocabularySize * d + 32 * (2 * d * d + 2 * d * 1024 + 3 * d * 14336 + 2 * d) + d);
  assert.ok(parameters > 7.2e9 && parameters < 7.4e9, `${parameters} parameters`);
  assert.deepEqual(tensors.find((tensor) => tensor.name === "output.weight")?.dims, [d, vocabularySize]);
  assert.deepEqual(tensors.find((tensor) => tensor.name === "blk.31.attn_k.weight")?.dims, [d, 1024]);
  assert.equal(SYNTHETIC_SHAPES["7b"]?.shape, MISTRAL_7B_SHAPE);

  // The same shape logic at a test's size: 4:1 grouped-query attention, FFN 3.5 d, untied output.
  const small: SyntheticModelShape = { ...MISTRAL_7B_SHAPE, embeddingLength: 128, blockCount: 2, headCount: 8, headCountKv: 2, feedForwardLength: 448, contextLength: 512, weightStd: 0.2, seed: 11 };
  const directory = mkdtempSync(path.join(os.tmpdir(), "synthetic-7b-"));
  try {
    const written = writeSyntheticGguf(path.join(directory, "small.gguf"), VOCAB_PATH, small);
    const file = readGguf(written.path);
    assert.equal(file.metadata.get("llama.attention.head_count"), 8);
    assert.equal(file.metadata.get("llama.attention.head_count_kv"), 2);
    assert.deepEqual(file.tensors.get("output.weight")?.dims, [128, vocabularySize]);
    assert.deepEqual(file.tensors.get("blk.0.attn_v.weight")?.dims, [128, 32]);
    const backend = await createLlamaBackend({ modelPath: written.path, threads: 1, modelSha256: sha256(written.path), kvCacheType: "f32", sequences: 1 });
    try {
      const reference = LlamaReference.load(written.path);
      const context = "吾輩は猫である。名前は";
      const continuation = "まだ無い。";
      const expected = referenceLoglikelihood(reference, backend.tokenize(context), backend.tokenize(continuation));
      const [got] = await backend.loglikelihood([{ type: "loglikelihood", context, continuation, tokenization: "separate" }]);
      assert.ok(Math.abs(got!.logprob - expected.logprob) <= 0.05 * backend.tokenize(continuation).length, `llama.cpp ${got!.logprob} vs float64 reference ${expected.logprob}`);
    } finally {
      await backend.dispose();
    }
    assert.throws(() => writeSyntheticGguf(path.join(directory, "bad.gguf"), VOCAB_PATH, { ...small, headCountKv: 3 }), RangeError);
  } finally {
    rmSync(directory, { recursive: true, force: true });
  }
});
