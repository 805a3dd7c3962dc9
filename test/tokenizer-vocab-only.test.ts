// `loadTokenizer` loads a GGUF's vocabulary only (llama.cpp's vocab_only): `prompts --model` and
// `compare --tokenizer` use it instead of a whole model, a context and a hash of the file.
// Checked against the full backend on the same file (the tokens it scores with), and on a
// vocabulary-only GGUF from ../shared/models/vocab, which has no tensors: a full load cannot
// use it at all, so it only works if nothing but the vocabulary is loaded.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { createLlamaBackend, loadTokenizer } from "../src/backend/llama/index.js";
import { STORIES_PATH, STORIES_SHA256, storiesSkip } from "./support/llamaOracle.js";
import { sharedSkip } from "./support/sharedData.js";

const root = process.cwd();
const vocabOnly = path.resolve(root, "../shared/models/vocab/llm-jp-v2.2-vocab.gguf");
const dataDir = path.resolve(root, "../shared/datasets");

// Japanese (byte fallback on stories260K), English, leading spaces and special-token text.
const TEXTS = ["以下は、タスクを説明する指示です。", " Answer: A", "Once upon a time", "答え</s>", "", "\n\n### 応答:\n"];

test("the vocabulary-only tokenizer gives the full backend's tokens, EOS and training context", { skip: storiesSkip }, async () => {
  const backend = await createLlamaBackend({ modelPath: STORIES_PATH, threads: 1, modelSha256: STORIES_SHA256, contextSize: 64 });
  const tokenizer = await loadTokenizer(STORIES_PATH);
  try {
    for (const text of TEXTS) assert.deepEqual(tokenizer.tokenize(text), backend.tokenize(text), JSON.stringify(text));
    assert.equal(tokenizer.eosText(), backend.eosText());
    assert.equal(tokenizer.eosText(), "</s>");
    // stories260K.gguf states llama.context_length 2048 (../shared/models/README.md).
    assert.equal(tokenizer.trainContextSize, 2048);
    assert.equal(backend.limits?.().maxLength, 2048);
  } finally {
    await tokenizer.dispose();
    await backend.dispose();
  }
});

test("prompts --model with a vocabulary-only GGUF (no tensors) resolves tokenizer-dependent caps", { skip: sharedSkip(vocabOnly, dataDir) }, async () => {
  const r = spawnSync(process.execPath, [path.join(root, "bin/run.js"), "prompts", "--task", "jsquad-1.1-0.3", "--limit", "2", "--data-dir", dataDir, "--model", vocabOnly], { encoding: "utf8" });
  assert.equal(r.status, 0, r.stderr);
  const records = r.stdout.trim().split("\n").map((l) => JSON.parse(l) as { max_tokens: number | null });
  assert.equal(records.length, 2);
  // JSQuAD's cap is the longest gold answer in model tokens: a positive count once resolved
  // (without a tokenizer it is null).
  for (const rec of records) assert.ok(typeof rec.max_tokens === "number" && rec.max_tokens > 0, JSON.stringify(rec.max_tokens));
  // The full backend cannot load this file: proof that prompts did not load the model.
  await assert.rejects(createLlamaBackend({ modelPath: vocabOnly, threads: 1, modelSha256: "x", contextSize: 64 }));
});
