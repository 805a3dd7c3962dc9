// A run's engine: the request cache, the backend that answers (injected, an inference server, or
// the GGUF hashed for the cache keys and loaded into llama.cpp), the cache in front of it, and the
// server-side token preparation. What is opened is recorded in one `RunEngine`, so that the run's
// `finally` (closeEngine) releases it whatever failed after.

import type { Backend } from "../api/types.js";
import { createLlamaBackend } from "../backend/llama/index.js";
import { createRemoteBackend } from "../backend/remote/index.js";
import { CachingBackend } from "../backend/cachingBackend.js";
import { abortable } from "../backend/interruption.js";
import type { HfTokenizer } from "../backend/tokenizers/hfTokenizer.js";
import { defaultCacheDir } from "../cache/location.js";
import { RequestCache } from "../cache/store.js";
import type { PlannedTask } from "../evaluation/taskPlan.js";
import type { RunOptions } from "./runOptions.js";
import { prepareRunTokens } from "./tokenPreparation.js";

/** What a run holds open while it evaluates. */
export interface RunEngine {
  /** The request cache; null with --no-cache. */
  cache: RequestCache | null;
  /** The backend that answers; undefined until loaded. */
  inner?: Backend;
  /** Set when a stop interrupted the evaluation: the engine may still be busy with the abandoned chunk. */
  interrupted: boolean;
}

/** Opens the request cache (unless --no-cache): the first thing a run holds. */
export function openCache(options: Pick<RunOptions, "noCache" | "cacheDir">, warn: (line: string) => void): RunEngine {
  return { cache: options.noCache ? null : RequestCache.open(options.cacheDir ?? defaultCacheDir(), { warn }), interrupted: false };
}

/** The backend that answers, recorded in `engine`: the injected one, the inference server, or the GGUF loaded into llama.cpp. */
export async function openBackend(
  engine: RunEngine,
  options: RunOptions,
  ownTokenizer: HfTokenizer | undefined,
  log: (line: string) => void,
  warn: (line: string) => void,
): Promise<Backend> {
  const { cache } = engine;
  // Hashing a model file and loading it take seconds to minutes: a stop signal ends the wait
  // at once (the process exits; nothing was computed or written).
  const loading = "stopped while loading the model, before any request was scored; nothing was written.";
  const modelSha256 = cache && !options.backend && !options.remote ? await abortable(cache.modelSha256(options.model), options.signal, loading) : undefined;
  engine.inner =
    options.backend ??
    (options.remote ? await abortable(createRemoteBackend({ ...options.remote, log }), options.signal, loading) : undefined) ??
    (await abortable(createLlamaBackend({
      modelPath: options.model,
      ...(modelSha256 !== undefined ? { modelSha256 } : {}),
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
      ...(options.parallel !== undefined ? { sequences: options.parallel } : {}),
      ...(options.contextSize !== undefined ? { contextSize: options.contextSize } : {}),
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
      ...(options.kvCacheType !== undefined ? { kvCacheType: options.kvCacheType } : {}),
      ...(options.flashAttention !== undefined ? { flashAttention: options.flashAttention } : {}),
      ...(options.gpu !== undefined ? { gpu: options.gpu } : {}),
      ...(options.mmap !== undefined ? { mmap: options.mmap } : {}),
      ...(ownTokenizer ? { ownTokenizer } : {}),
      warn,
    }), options.signal, loading));
  return engine.inner;
}

/** The request cache in front of the backend: it answers what it holds and stores each new answer. */
export function cacheInFront(inner: Backend, engine: RunEngine, signal: AbortSignal | undefined, log: (line: string) => void): CachingBackend {
  return new CachingBackend(inner, {
    store: engine.cache,
    log,
    ...(signal ? { signal } : {}),
  });
}

/** A server's own tokenizer (no --tokenizer): the ids of every text the run encodes, fetched once now. */
export async function prepareTokens(backend: Backend, planned: readonly PlannedTask[], signal: AbortSignal | undefined, log: (line: string) => void): Promise<void> {
  await abortable(prepareRunTokens(backend, planned, log), signal, "stopped while the server tokenized the requests, before any request was scored; nothing was written.");
}

/** Releases what the run opened: the engine it loaded (not an injected one) and the cache. */
export async function closeEngine(engine: RunEngine, options: Pick<RunOptions, "backend">): Promise<void> {
  // After an interrupt the engine may still be busy with the abandoned chunk: the caller exits.
  if (engine.inner && !options.backend && !engine.interrupted) await engine.inner.dispose();
  engine.cache?.close();
}
