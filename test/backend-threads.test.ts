// The thread choice per decode (src/backend/llama/threads.ts), on a stand-in for
// node-llama-cpp's native context that records the calls its decode loop makes:
// initBatch(tokens), setThreads(n) from the thread splitter, then decodeBatch().

import { test } from "node:test";
import assert from "node:assert/strict";
import type { LlamaContext } from "node-llama-cpp";
import { singleTokenOnOneThread } from "../src/backend/llama/threads.js";

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
