// Generation goes on past an end-of-generation token that is not the request's stop token:
// the reference calls HF `generate(..., eos_token_id=primary_until)` (spec: "greedy_until"),
// so only the primary stop token (or the cap) ends a generation. llama.cpp and node-llama-cpp
// stop at any EOG token unless told otherwise (`yieldEogToken`).
//
// Neither shared model emits its own EOS in a short greedy run, so the test makes one that
// does: a copy of stories260K whose GGUF names a token the model emits mid-generation as
// its EOS (and marks it a control token, as node-llama-cpp requires of an EOS). The weights
// are unchanged, so greedy decoding must give the same token ids as on the original file.

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { getLlama, LlamaLogLevel, type LlamaModel, type Token } from "node-llama-cpp";
import { createLlamaBackend } from "../src/backend/llama/index.js";
import { STORIES_PATH, storiesSkip } from "./support/llamaOracle.js";

const CONTEXT = "Once upon a time, there was a little";
const STEPS = 12;
/** GGUF value types (gguf.md): UINT32 = 4, INT32 = 5, ARRAY = 9. */
const GGUF_UINT32 = 4;
const GGUF_INT32 = 5;
const GGUF_ARRAY = 9;
/** llama.cpp's token type for control tokens (LLAMA_TOKEN_TYPE_CONTROL). */
const TOKEN_TYPE_CONTROL = 3;

/** The offset just past a metadata key's name; throws when the key is absent. */
function afterKey(file: Buffer, key: string): number {
  const at = file.indexOf(Buffer.from(key));
  assert.ok(at > 8 && Number(file.readBigUInt64LE(at - 8)) === key.length, `${key} is a metadata key of the file`);
  return at + key.length;
}

/** A copy of `file` whose EOS is `token`, marked as a control token. */
function withEos(file: Buffer, token: number): Buffer {
  const copy = Buffer.from(file);
  const eos = afterKey(copy, "tokenizer.ggml.eos_token_id");
  assert.equal(copy.readUInt32LE(eos), GGUF_UINT32);
  copy.writeUInt32LE(token, eos + 4);
  const types = afterKey(copy, "tokenizer.ggml.token_type");
  assert.equal(copy.readUInt32LE(types), GGUF_ARRAY);
  assert.equal(copy.readUInt32LE(types + 4), GGUF_INT32);
  assert.ok(token < Number(copy.readBigUInt64LE(types + 8)));
  copy.writeInt32LE(TOKEN_TYPE_CONTROL, types + 16 + 4 * token);
  return copy;
}

/** Greedy ids from node-llama-cpp alone (not our generator). */
async function greedyIds(model: LlamaModel, prompt: number[], yieldEogToken: boolean): Promise<number[]> {
  const context = await model.createContext({ contextSize: 256, threads: 1 });
  try {
    const ids: number[] = [];
    for await (const token of context.getSequence().evaluate(prompt as Token[], { temperature: 0, yieldEogToken })) {
      ids.push(token);
      if (ids.length >= STEPS) break;
    }
    return ids;
  } finally {
    await context.dispose();
  }
}

test("generation goes on past an end-of-generation token that is not the stop token (HF generate stops only at primary_until)", { skip: storiesSkip }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "rakuten-eval-eog-"));
  const llama = await getLlama({ gpu: false, build: "never", skipDownload: true, progressLogs: false, logLevel: LlamaLogLevel.error });
  try {
    const original = await llama.loadModel({ modelPath: STORIES_PATH });
    const probe = await createLlamaBackend({ modelPath: STORIES_PATH, threads: 1, modelSha256: "test" });
    const prompt = probe.tokenize(CONTEXT);
    await probe.dispose();
    const ids = await greedyIds(original, prompt, false);
    await original.dispose();
    assert.equal(ids.length, STEPS, "the original model emits no EOG in these steps");
    // A token emitted mid-generation (not before) whose marking as a control token leaves the
    // prompt's tokenization alone (a control token drops out of ordinary tokenization).
    const file = readFileSync(STORIES_PATH);
    const patchedPath = path.join(dir, "stories260K-eos-mid.gguf");
    let eogAt = -1;
    let patched: LlamaModel | undefined;
    for (let k = 2; k < STEPS - 2 && patched === undefined; k++) {
      if (ids.slice(0, k).includes(ids[k]!) || prompt.includes(ids[k]!)) continue;
      writeFileSync(patchedPath, withEos(file, ids[k]!));
      const candidate = await llama.loadModel({ modelPath: patchedPath });
      if (JSON.stringify(candidate.tokenize(CONTEXT, true)) === JSON.stringify(prompt)) {
        eogAt = k;
        patched = candidate;
      } else await candidate.dispose();
    }
    assert.ok(patched !== undefined, "some token emitted mid-generation can be made the EOS without changing the prompt");
    assert.equal(patched.tokens.eos, ids[eogAt], "the copy's EOS is the chosen token");
    // The case is real: node-llama-cpp on its own stops at that token.
    assert.deepEqual(await greedyIds(patched, prompt, false), ids.slice(0, eogAt));
    const expected = patched.detokenize(ids as Token[], true);
    await patched.dispose();

    const backend = await createLlamaBackend({ modelPath: patchedPath, threads: 1, modelSha256: "test" });
    try {
      assert.deepEqual(backend.tokenize(CONTEXT), prompt, "the copy tokenizes the prompt as the original does");
      const [text] = await backend.generate([{ context: CONTEXT, until: ["\u0000never"], maxTokens: STEPS }]);
      assert.equal(text, expected);
    } finally {
      await backend.dispose();
    }
  } finally {
    await llama.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
});
