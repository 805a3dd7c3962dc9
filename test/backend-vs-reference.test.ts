// The backend's log-likelihoods against an independent computation: a float64 forward pass
// written from the GGUF weights (test/support/llamaReference.ts), which never calls llama.cpp.
// Token ids come from llama.cpp's tokenizer, arranged here by the reference harnesses' rules
// (spec §2.3 for the Japanese harness, §4 `_encode_pair` for the English one).
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { getLlama } from "node-llama-cpp";
import { createLlamaBackend } from "../src/backend/llama/index.js";
import { LlamaReference, referenceLoglikelihood } from "./support/llamaReference.js";
import { sharedSkip } from "./support/sharedData.js";

const modelPath = path.resolve(process.cwd(), "../shared/models/stories260K.gguf");
const skip = sharedSkip(modelPath);

test("loglikelihood on stories260K equals a float64 forward pass (F32 KV cache) within 1e-4 nats", { skip }, async () => {
  const llama = await getLlama({ gpu: false, build: "never", maxThreads: 1 });
  const model = await llama.loadModel({ modelPath });
  const encode = (s: string) => Array.from(model.tokenize(s, false) as readonly number[]);
  const eos = model.tokens.eos!;
  const ref = LlamaReference.load(modelPath);
  const backend = await createLlamaBackend({ modelPath, threads: 1, kvCacheType: "f32" });
  try {
    const cases = [
      // Stability rule: context and continuation encoded separately (each gets SentencePiece's "▁").
      { context: "Once upon a time, there was a little girl named Lily.", continuation: "She liked to play.", tokenization: "separate" as const },
      { context: "Once upon a time, there was a little girl named Lily.", continuation: "He was sad.", tokenization: "separate" as const },
      // Empty context: [EOS] stands in for it.
      { context: "", continuation: "The cat sat on the mat.", tokenization: "separate" as const },
      // EleutherAI rule: the context's trailing space moves into the continuation, the pair is
      // encoded whole and split at the context's token count.
      { context: "Question: What did Tom see?\nAnswer: ", continuation: "a big dog", tokenization: "encode_pair" as const },
    ];
    const expected = cases.map((c) => {
      if (c.tokenization === "separate") {
        const ctx = c.context === "" ? [eos] : encode(c.context);
        return referenceLoglikelihood(ref, ctx, encode(c.continuation));
      }
      const trimmed = c.context.replace(/\s+$/u, "");
      const moved = c.context.slice(trimmed.length) + c.continuation;
      const whole = encode(trimmed + moved);
      const ctx = encode(trimmed);
      return referenceLoglikelihood(ref, ctx, whole.slice(ctx.length));
    });
    const got = await backend.loglikelihood(cases.map((c) => ({ type: "loglikelihood", ...c })));
    for (let i = 0; i < cases.length; i++) {
      assert.ok(Math.abs(got[i]!.logprob - expected[i]!.logprob) < 1e-4, `case ${i}: backend ${got[i]!.logprob} vs reference ${expected[i]!.logprob}`);
      assert.equal(got[i]!.isGreedy, expected[i]!.isGreedy, `case ${i}: isGreedy`);
    }
    // The two continuations of one context must differ, or the check above could not tell them apart.
    assert.notEqual(expected[0]!.logprob.toFixed(3), expected[1]!.logprob.toFixed(3));
  } finally {
    await backend.dispose();
    await model.dispose();
  }
});

test("special-token text encodes to the special token, as HF encode does (MGSM's primary stop token is EOS)", { skip }, async () => {
  const { readGguf } = await import("./support/ggufReader.js");
  const eosId = Number(readGguf(modelPath).metadata.get("tokenizer.ggml.eos_token_id"));
  const backend = await createLlamaBackend({ modelPath, threads: 1 });
  try {
    assert.deepEqual(backend.tokenize("</s>"), [eosId]);
    assert.equal(backend.eosText(), "</s>");
    // Plain text is unaffected: no BOS, and the SentencePiece dummy prefix stays.
    const hello = backend.tokenize("Hello");
    assert.notEqual(hello[0], Number(readGguf(modelPath).metadata.get("tokenizer.ggml.bos_token_id")));
  } finally {
    await backend.dispose();
  }
});
