import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { inspectModelFile } from "../src/backend/modelFile.js";
import { sha256File } from "../src/util/files.js";
import { UserError } from "../src/util/errors.js";
import { STORIES_PATH, STORIES_SHA256, storiesSkip } from "./support/llamaOracle.js";

async function withTempDir(work: (dir: string) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(path.join(tmpdir(), "rakuten-eval-modelfile-"));
  try {
    await work(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

async function expectOneLineModelError(file: string, pattern: RegExp): Promise<void> {
  await assert.rejects(inspectModelFile(file), (error: unknown) => {
    assert.ok(error instanceof UserError, `expected a UserError, got ${String(error)}`);
    assert.equal(error.kind, "model");
    assert.ok(!error.message.includes("\n"), `message is not one line: ${error.message}`);
    assert.ok(error.message.includes(file), `message does not name the file: ${error.message}`);
    assert.match(error.message, pattern);
    return true;
  });
}

test("a missing model file is a one-line UserError naming it", async () => {
  await withTempDir(async (dir) => {
    await expectOneLineModelError(path.join(dir, "no-such-model.gguf"), /not found/i);
  });
});

test("a file without the GGUF magic is a one-line UserError naming it", async () => {
  await withTempDir(async (dir) => {
    const file = path.join(dir, "model.safetensors.gguf");
    await writeFile(file, Buffer.concat([Buffer.from("GGML"), Buffer.alloc(64, 1)]));
    await expectOneLineModelError(file, /not a GGUF/i);
    const tiny = path.join(dir, "tiny.gguf");
    await writeFile(tiny, "GG");
    await expectOneLineModelError(tiny, /not a GGUF/i);
  });
});

test("a directory is not accepted as a model file", async () => {
  await withTempDir(async (dir) => {
    await expectOneLineModelError(dir, /not a file/i);
  });
});

test("truncated copies of a real GGUF are one-line UserErrors naming the file", { skip: storiesSkip }, async () => {
  const original = await readFile(STORIES_PATH);
  await withTempDir(async (dir) => {
    const headerCut = path.join(dir, "header-cut.gguf");
    await writeFile(headerCut, original.subarray(0, 2000)); // inside the vocabulary metadata
    await expectOneLineModelError(headerCut, /corrupt or truncated/i);
    const dataCut = path.join(dir, "data-cut.gguf");
    await writeFile(dataCut, original.subarray(0, original.length - 1000)); // header intact, tensor data short
    await expectOneLineModelError(dataCut, /truncated GGUF model file/i);
  });
});

test("inspectModelFile reads stories260K's header", { skip: storiesSkip }, async () => {
  const info = await inspectModelFile(STORIES_PATH);
  // Facts from ../shared/models/README.md and llama2.c's tokenizer (BOS 1, EOS 2).
  assert.equal(info.sizeBytes, 1185376);
  assert.equal(info.trainContextSize, 2048);
  assert.equal(info.architecture, "llama");
  assert.equal(info.vocabType, "llama"); // GGUF's name for SentencePiece
  assert.equal(info.bosId, 1);
  assert.equal(info.eosId, 2);
});

test("sha256File matches the published checksum", { skip: storiesSkip }, async () => {
  assert.equal(await sha256File(STORIES_PATH), STORIES_SHA256);
});
