// The in-process llama.cpp backend: the Backend contract over an engine, a planner-driven
// scorer and generator, and the model's tokenizer. Calls run one at a time: they share
// the sequences and their KV caches, and a call's cache is the next call's prefix.

import type {
  Backend,
  BackendDescription,
  BackendLimits,
  BackendStats,
  GenerateResponse,
  LoglikelihoodRequest,
  LoglikelihoodResponse,
  OnResult,
  ResolvedGenerateRequest,
} from "../../api/types.js";
import { throwIfAborted } from "../interruption.js";
import { scoringSemantics } from "../scoringSemantics.js";
import type { LlamaEngine } from "./engine.js";
import { generateRequests, type GeneratorParts } from "./generator.js";
import { newWorkCounters, type EvaluationProbe } from "./instrumentation.js";
import { scoreRequests, type ScorerParts } from "./scorer.js";
import type { ModelTokenizer } from "./tokenizer.js";

/** What the description records beyond the engine's settings. */
export interface BackendIdentity {
  modelSha256: string;
  engineVersion: string;
  /** The prebuilt CPU kernels in use (`libggml-cpu-<variant>.so`), when they can be read. */
  cpuVariant: string | undefined;
  /** Whether the weights are memory-mapped (`--mmap`), and why. Changes memory, not numbers. */
  mmap: { used: boolean; reason: string };
}

export class LlamaBackend implements Backend {
  /** Serialises calls. */
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;
  private readonly counters = newWorkCounters();

  constructor(
    private readonly engine: LlamaEngine,
    private readonly tokenizer: ModelTokenizer,
    private readonly identity: BackendIdentity,
    private readonly probe: EvaluationProbe,
  ) {}

  private serialise<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private get parts(): ScorerParts & GeneratorParts {
    return { engine: this.engine, tokenizer: this.tokenizer, counters: this.counters, probe: this.probe };
  }

  // A stop signal keeps a queued call from starting; a call under way runs to its end (the
  // caller is released at once by ../interruption.ts `abortable`, and its answers still come
  // through onResult), as the caching backend sends work in chunks of a few requests.
  loglikelihood(
    requests: LoglikelihoodRequest[],
    onProgress?: (done: number, total: number) => void,
    onResult?: OnResult<LoglikelihoodResponse>,
    signal?: AbortSignal,
  ): Promise<LoglikelihoodResponse[]> {
    if (this.disposed) return Promise.reject(new Error("the llama backend has been disposed"));
    return this.serialise(() => {
      throwIfAborted(signal);
      return scoreRequests(this.parts, requests, onProgress, onResult);
    });
  }

  generate(
    requests: ResolvedGenerateRequest[],
    onProgress?: (done: number, total: number) => void,
    onResult?: OnResult<GenerateResponse>,
    signal?: AbortSignal,
  ): Promise<GenerateResponse[]> {
    if (this.disposed) return Promise.reject(new Error("the llama backend has been disposed"));
    return this.serialise(() => {
      throwIfAborted(signal);
      return generateRequests(this.parts, requests, onProgress, onResult);
    });
  }

  tokenize(text: string): number[] {
    return this.tokenizer.tokenize(text);
  }

  eosText(): string {
    return this.tokenizer.eosText();
  }

  limits(): BackendLimits {
    return { maxLength: this.engine.settings.maxLength, contextSize: this.engine.contextLimit };
  }

  stats(): BackendStats {
    const c = this.counters;
    const { evaluationMs, scoreExtractionMs, generationSteps } = this.probe.timings();
    return {
      requestTokens: c.requestTokens,
      tokensEvaluated: c.tokensEvaluated,
      prefixTrieTokens: c.prefixTrieTokens,
      scoredPositions: c.scoredPositions,
      scoreExtractionMs,
      evaluationMs,
      generatedTokens: c.generatedTokens,
      sequences: this.engine.settings.sequences,
      decodes: c.decodes,
      ...(generationSteps !== undefined ? { generationSteps } : {}),
    };
  }

  describe(): BackendDescription {
    // Cache keys are made from this: any change in content invalidates stored answers.
    const settings = this.engine.settings;
    const taken = this.engine.contextSettings();
    const keyType = taken ? taken.kvCacheKeyType : settings.kvCacheType;
    const valueType = taken ? taken.kvCacheValueType : settings.kvCacheType;
    return {
      engine: "llama.cpp (node-llama-cpp)",
      engineVersion: this.identity.engineVersion,
      // Kernels move log-likelihoods in their last bits: the variant is part of the key.
      ...(this.identity.cpuVariant !== undefined ? { cpuVariant: this.identity.cpuVariant } : {}),
      // Left out of the cache key (cache/keys.ts): mapped or read, the weights are the same bytes.
      mmap: this.identity.mmap.used,
      modelPath: settings.modelPath,
      modelSha256: this.identity.modelSha256,
      // The largest input the backend accepts. The allocated context grows up to it on
      // demand; attention only covers the cells in use, so the allocation changes no number.
      contextSize: this.engine.contextLimit,
      batchSize: settings.batchSize,
      threads: settings.threads,
      // Sequences evaluated side by side: merged decodes group tokens differently, which
      // may move scores in the last float bits.
      sequences: settings.sequences,
      kvCacheType: keyType === valueType ? keyType : `k:${keyType},v:${valueType}`,
      flashAttention: taken ? taken.flashAttention : settings.flashAttention,
      gpu: this.engine.llama.gpu,
      // Layers offloaded to the GPU ("auto" picks them from free memory): GPU and CPU kernels
      // round differently, so the split is part of the key.
      gpuLayers: this.engine.model.gpuLayers,
      maxLength: settings.maxLength,
      logprobMethod: "controlledEvaluate logits filter + totalLogitWeight",
      tokenizer: this.tokenizer.describe(),
      // The code that turns requests into tokens and scores (see scoringSemantics.ts).
      scoringSemantics: scoringSemantics().version,
    };
  }

  dispose(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    this.disposed = true;
    return this.serialise(() => this.engine.dispose());
  }
}
