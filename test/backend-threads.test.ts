// The thread choice per decode (src/backend/llama/threads.ts), on a stand-in for
// node-llama-cpp's native context that records the calls its decode loop makes:
// initBatch(tokens), setThreads(n) from the thread splitter, then decodeBatch().

import { test } from "node:test";
import assert from "node:assert/strict";
import type { LlamaContext } from "node-llama-cpp";
import { acquireLlama, asTokens, LlamaEngine } from "../src/backend/llama/engine.js";
import { singleTokenOnOneThread } from "../src/backend/llama/threads.js";
import { STORIES_PATH, storiesSkip } from "./support/llamaOracle.js";

/** A native context whose methods are read-only, as the binding's are. */
function nativeStandIn(log: string[]): object {
  const native = {};
  const define = (name: string, fn: (...args: number[]) => unknown): void => {
    Object.defineProperty(native, name, { value: fn, writable: false, enumerable: true });
  };
  define("initBatch", (size) => log.push(`init ${size}`));
  define("setThreads", (threads) => log.push(`threads ${threads}`));
  define("decodeBatch", () => {
    log.push("decode");
    return Promise.resolve();
  });
  define("getStateSize", function (this: unknown) {
    // A native method checks its receiver: called on anything but the native object, it fails.
    if (this !== native) throw new TypeError("Illegal invocation");
    return 42;
  });
  return native;
}

/** Drives one decode the way node-llama-cpp 3.22.1's `dispatchPendingBatch` does. */
async function decode(context: { _ctx: Record<string, (...args: number[]) => unknown> }, tokens: number, threads: number): Promise<void> {
  context._ctx.initBatch!(tokens);
  context._ctx.setThreads!(threads);
  await context._ctx.decodeBatch!();
}

test("a one-token decode runs on one thread; larger ones on the threads node-llama-cpp asks for", async () => {
  const log: string[] = [];
  const context = { _ctx: nativeStandIn(log), currentThreads: 2 } as unknown as { _ctx: Record<string, (...args: number[]) => unknown> };
  singleTokenOnOneThread(context as unknown as LlamaContext);
  await decode(context, 1, 2);
  await decode(context, 5, 2);
  await decode(context, 1, 2);
  await decode(context, 300, 3);
  // The last setThreads before each decode is the one llama.cpp uses.
  assert.deepEqual(log, [
    "init 1", "threads 2", "threads 1", "decode",
    "init 5", "threads 2", "threads 2", "decode",
    "init 1", "threads 2", "threads 1", "decode",
    "init 300", "threads 3", "threads 3", "decode",
  ]);
  // Every other method reaches the native object as its receiver.
  assert.equal(context._ctx.getStateSize!(), 42);
});

test("left alone when the native calls it needs are missing (another node-llama-cpp version)", () => {
  const native = { initBatch: () => undefined, decodeBatch: () => Promise.resolve() };
  const context = { _ctx: native, currentThreads: 2 };
  singleTokenOnOneThread(context as unknown as LlamaContext);
  assert.equal(context._ctx, native);
});

test("on a real context (stories260K, 2 threads): llama.cpp is left at 1 thread after a one-token decode, at 2 after a larger one", { skip: storiesSkip }, async () => {
  const llama = await acquireLlama(false);
  llama.maxThreads = Math.max(llama.maxThreads, 2);
  const model = await llama.loadModel({ modelPath: STORIES_PATH });
  const engine = new LlamaEngine(llama, model, { modelPath: STORIES_PATH, maxLength: 512, fixedContextSize: undefined, batchSize: 512, threads: 2, sequences: 1, kvCacheType: "f16", flashAttention: false });
  try {
    await engine.ensureCapacity(64);
    const sequence = engine.firstSequence!;
    // `currentThreads` reads the native context's thread count (llama_n_threads) after the decode.
    await sequence.evaluateWithoutGeneratingNewTokens(asTokens([1, 400, 401, 402, 403]));
    assert.equal(sequence.context.currentThreads, 2);
    await sequence.evaluateWithoutGeneratingNewTokens(asTokens([404]));
    assert.equal(sequence.context.currentThreads, 1);
    await sequence.evaluateWithoutGeneratingNewTokens(asTokens([405, 406]));
    assert.equal(sequence.context.currentThreads, 2);
  } finally {
    await engine.dispose();
  }
});
