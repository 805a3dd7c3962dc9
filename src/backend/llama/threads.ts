// How many threads each llama_decode gets on the CPU (node-llama-cpp 3.22.1's binding).

import type { LlamaContext } from "node-llama-cpp";

/** node-llama-cpp 3.22.1's native context, as its decode loop drives it (see `singleTokenOnOneThread`). */
interface NativeDecodeCalls {
  initBatch(size: number): void;
  setThreads(threads: number): void;
  decodeBatch(): Promise<void>;
}

/**
 * Makes decodes of one token run on one thread, larger ones on the threads node-llama-cpp
 * asks for. node-llama-cpp's binding gives llama.cpp no thread pool, so every compute starts
 * its worker threads afresh; for a one-token decode (a choice's second token, a generation
 * step) waiting for them costs more than the work: measured on a 2-core machine with the
 * 129M benchmark model, a one-token decode took 20 ms (median; 8–32 ms) on 2 threads and
 * 9 ms on 1, while from 32 tokens up 2 threads are 1.5–1.8× faster than 1. llama.cpp's own
 * split (`n_threads` for one-token batches, `n_threads_batch` for the rest) is not reachable
 * through the binding, so its three native calls are wrapped; checked by feature, and left
 * alone when they are absent. On the CPU, llama.cpp gives each output element to one
 * thread, so the thread count should not change the arithmetic; checked: all 1,260
 * responses of `run --suite all --limit 5` on stories260K, and 60 JCommonsenseQA scores and
 * 12 MGSM generations on the 129M benchmark model, were bit-identical with and without it.
 */
export function singleTokenOnOneThread(context: LlamaContext): void {
  const holder = context as unknown as { _ctx?: Partial<NativeDecodeCalls> & object };
  const native = holder._ctx;
  if (native === undefined || typeof native.initBatch !== "function" || typeof native.setThreads !== "function" || typeof native.decodeBatch !== "function") return;
  // The binding's methods are read-only, so the native context is put behind a proxy that
  // answers these three and hands every other property to the native object itself.
  const initBatch = native.initBatch.bind(native);
  const setThreads = native.setThreads.bind(native);
  const decodeBatch = native.decodeBatch.bind(native);
  let batchTokens = 0;
  let requested = context.currentThreads;
  const overrides: NativeDecodeCalls = {
    initBatch: (size: number): void => {
      batchTokens = size;
      initBatch(size);
    },
    setThreads: (threads: number): void => {
      requested = threads;
      setThreads(threads);
    },
    decodeBatch: (): Promise<void> => {
      setThreads(batchTokens <= 1 ? 1 : requested);
      return decodeBatch();
    },
  };
  const bound = new Map<PropertyKey, unknown>();
  // The proxy's target is an empty object, not the native one: a proxy must report a
  // read-only own property of its target unchanged, which would forbid the overrides.
  holder._ctx = new Proxy(Object.create(null) as object, {
    get(_target, property) {
      if (property in overrides) return overrides[property as keyof NativeDecodeCalls];
      const value: unknown = Reflect.get(native, property, native);
      if (typeof value !== "function") return value;
      if (!bound.has(property)) bound.set(property, (value as (...args: unknown[]) => unknown).bind(native));
      return bound.get(property);
    },
    has(_target, property) {
      return property in native;
    },
  }) as Partial<NativeDecodeCalls> & object;
}
