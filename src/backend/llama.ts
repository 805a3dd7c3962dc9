// The in-process llama.cpp backend (node-llama-cpp 3.22.1).
//
// Scoring uses one long-lived context sequence that keeps its KV cache: requests
// are sorted so that shared prefixes are adjacent, each request keeps the part of
// the cache it shares with the previous one, and only the rest is evaluated.
// Log-probabilities come from the single-pass logits path of `controlledEvaluate`
// (see ../shared/spec/llama-backend.md): for target t at a position,
//   log P(t) = logit(t) − logit(argmax) − ln(Σ exp(logit − max)).

import os from "node:os";
import {
  GgmlType,
  getLlama,
  getModuleVersion,
  LlamaLogLevel,
  type ControlledEvaluateInputItem,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";
import type {
  Backend,
  BackendDescription,
  GenerateResponse,
  LoglikelihoodRequest,
  LoglikelihoodResponse,
  ResolvedGenerateRequest,
} from "../api/types.js";
import { UserError } from "../errors.js";
import { inspectModelFile, sha256File } from "./modelFile.js";
import {
  encodePair,
  primaryStopToken,
  separatePair,
  settledStopCut,
  cutAtStopStrings,
  truncateGenerationContext,
  truncateLeft,
  type ScoringInput,
} from "./tokenization.js";

export interface LlamaBackendOptions {
  modelPath: string;
  /** CPU threads. Default: the physical cores that are useful for math (llama.cpp's count), at least 1. */
  threads?: number;
  /**
   * Tokens the llama context holds. "auto" (default): sized to the longest input
   * seen so far, capped at the model's training context. A number fixes it; an
   * input that does not fit is then an error, never a silent context shift.
   */
  contextSize?: number | "auto";
  /** Tokens per decode call. Default 512 (pinned, recorded). */
  batchSize?: number;
  /** KV cache element type for keys and values. Default "f16" (llama.cpp's default), pinned and recorded. */
  kvCacheType?: "f16" | "f32";
  /** Flash attention. Default false (node-llama-cpp's own default is "auto"); pinned and recorded. */
  flashAttention?: boolean;
  /** GPU backend. Default false (CPU only). */
  gpu?: false | "auto" | "cuda" | "vulkan" | "metal";
  /** The model file's SHA-256, when already known (otherwise it is computed). */
  modelSha256?: string;
}

const DEFAULT_BATCH_SIZE = 512;
/** llama.cpp aligns context sizes to 256 cells. */
const CONTEXT_ALIGNMENT = 256;
/** Tokens the first "auto" context holds (a 512-cell context); it grows on demand. */
const INITIAL_AUTO_CAPACITY = 511;
/** Distinct texts the per-call tokenizer memo holds before it starts over. */
const ENCODE_MEMO_SIZE = 64;
/**
 * Characters at the end of a partial decoding that a later token may still change
 * (a detokenizer that cleans up spaces rewrites " '" before a letter). Trailing
 * U+FFFD from an incomplete UTF-8 sequence are held back as well.
 */
const UNSETTLED_TAIL_CHARS = 3;

// node-llama-cpp brands token ids; the Backend contract uses plain numbers.
function asToken(id: number): Token {
  return id as Token;
}
function asTokens(ids: readonly number[]): Token[] {
  return ids as Token[];
}

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ").trim();
}

function ggmlTypeName(type: GgmlType): string {
  return (GgmlType[type] ?? String(type)).toLowerCase();
}

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareRequests(a: LoglikelihoodRequest, b: LoglikelihoodRequest): number {
  return compareStrings(a.context, b.context) || compareStrings(a.continuation, b.continuation) || compareStrings(a.tokenization, b.tokenization);
}

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

/** The default thread count: physical cores (llama.cpp's math-core count), within what this process may use. */
function defaultThreads(llama: Llama): number {
  return Math.max(1, Math.min(llama.cpuMathCores || 1, os.availableParallelism()));
}

class LlamaBackend implements Backend {
  private context: LlamaContext | undefined;
  private sequence: LlamaContextSequence | undefined;
  /** Serialises calls: they share one sequence and its KV cache. */
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;

  constructor(
    private readonly llama: Llama,
    private readonly model: LlamaModel,
    private readonly settings: {
      modelPath: string;
      modelSha256: string;
      engineVersion: string;
      /** The reference's `max_length`: the model's training context. */
      maxLength: number;
      fixedContextSize: number | undefined;
      batchSize: number;
      threads: number;
      kvCacheType: "f16" | "f32";
      flashAttention: boolean;
      eosId: number;
    },
  ) {}

  private serialise<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** The most tokens one evaluation may hold. */
  private get contextLimit(): number {
    return this.settings.fixedContextSize ?? this.settings.maxLength;
  }

  /**
   * Makes sure the sequence can hold `tokens` tokens without shifting. node-llama-cpp
   * shifts (drops the beginning, silently) once a sequence holds contextSize − 1
   * tokens, so the context needs one cell more than the tokens it will hold.
   */
  async ensureCapacity(tokens: number): Promise<LlamaContextSequence> {
    if (tokens > this.contextLimit) {
      throw new UserError(
        "model",
        this.settings.fixedContextSize !== undefined
          ? `An input needs ${tokens} tokens of context but the context size is fixed at ${this.settings.fixedContextSize}; raise the context size or use "auto".`
          : `An input needs ${tokens} tokens of context but ${this.settings.modelPath} was trained on ${this.settings.maxLength}; lower the generation cap.`,
      );
    }
    if (this.sequence !== undefined && this.sequence.contextSize - 1 >= tokens) return this.sequence;
    // "auto" grows at least twofold, so a run of ever longer prompts recreates the context
    // (and loses its cache) only a few times; never beyond the training context.
    const current = this.sequence?.contextSize ?? 0;
    const size = this.settings.fixedContextSize !== undefined
      ? this.settings.fixedContextSize + 1
      : Math.min(Math.max(roundUp(tokens + 1, CONTEXT_ALIGNMENT), 2 * current), roundUp(this.settings.maxLength + 1, CONTEXT_ALIGNMENT));
    await this.disposeContext();
    try {
      this.context = await this.model.createContext({
        contextSize: size,
        batchSize: Math.min(this.settings.batchSize, size),
        threads: this.settings.threads,
        sequences: 1,
        flashAttention: this.settings.flashAttention,
        experimentalKvCacheKeyType: this.settings.kvCacheType === "f32" ? "F32" : "F16",
        experimentalKvCacheValueType: this.settings.kvCacheType === "f32" ? "F32" : "F16",
        // Keep the full cache on sliding-window models, so any prefix can be reused.
        swaFullCache: true,
        failedCreationRemedy: false,
      });
    } catch (error) {
      throw new UserError("model", `Cannot create a ${size}-token llama context for ${this.settings.modelPath} (${errorText(error)}). Use a smaller context size or free memory.`);
    }
    this.sequence = this.context.getSequence({
      contextShift: {
        // Guard: lengths are checked above, so a shift would be a bug; never let it pass silently.
        strategy: () => {
          throw new Error("internal error: llama context shift requested; inputs must fit the context");
        },
      },
    });
    return this.sequence;
  }

  private async disposeContext(): Promise<void> {
    const context = this.context;
    this.sequence = undefined;
    this.context = undefined;
    if (context !== undefined && !context.disposed) await context.dispose();
  }

  /**
   * Keeps the first `keep` cached tokens at most (fewer if the cache differs
   * earlier) and erases the rest; returns how many were kept.
   */
  private async reusePrefix(sequence: LlamaContextSequence, tokens: number[], keep: number): Promise<number> {
    const reuse = Math.min(sequence.compareContextTokens(asTokens(tokens)).firstDifferentIndex, keep);
    if (reuse === 0 && sequence.nextTokenIndex > 0) await sequence.clearHistory();
    else if (reuse < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{ start: reuse, end: sequence.nextTokenIndex }]);
    return reuse;
  }

  tokenize(text: string): number[] {
    // No BOS; SentencePiece's dummy prefix stays, as HF `encode(s, add_special_tokens=False)`.
    return this.model.tokenize(text, false);
  }

  eosText(): string {
    return this.model.detokenize([asToken(this.settings.eosId)], true);
  }

  loglikelihood(requests: LoglikelihoodRequest[], onProgress?: (done: number, total: number) => void): Promise<LoglikelihoodResponse[]> {
    if (this.disposed) return Promise.reject(new Error("the llama backend has been disposed"));
    return this.serialise(() => this.scoreAll(requests, onProgress));
  }

  /**
   * The tokenizer with a small memo: the requests of one question share their context,
   * and sorted requests arrive together, so the context is encoded once, not per choice.
   * Callers must not mutate the returned arrays.
   */
  private memoizedEncoder(): (text: string) => number[] {
    const memo = new Map<string, number[]>();
    return (text) => {
      let tokens = memo.get(text);
      if (tokens === undefined) {
        if (memo.size >= ENCODE_MEMO_SIZE) memo.clear();
        tokens = this.tokenize(text);
        memo.set(text, tokens);
      }
      return tokens;
    };
  }

  private async scoreAll(requests: LoglikelihoodRequest[], onProgress?: (done: number, total: number) => void): Promise<LoglikelihoodResponse[]> {
    const { eosId, maxLength } = this.settings;
    const encode = this.memoizedEncoder();
    const results: LoglikelihoodResponse[] = new Array(requests.length);
    // Sorting by text puts requests that share a prefix next to each other (the choices
    // of one question, a subject's fixed shots), so each keeps most of the previous KV
    // cache. Text order rather than token order: nothing is tokenized ahead, so memory
    // stays small on suites with tens of thousands of long prompts.
    const order = requests.map((_, index) => index).sort((a, b) => compareRequests(requests[a]!, requests[b]!));
    let previous: { request: LoglikelihoodRequest; result: LoglikelihoodResponse } | undefined;
    let finished = 0;
    for (const index of order) {
      const request = requests[index]!;
      let result: LoglikelihoodResponse;
      if (previous !== undefined && compareRequests(previous.request, request) === 0) {
        result = previous.result; // the same request again: the same numbers
      } else {
        const pair = request.tokenization === "encode_pair"
          ? encodePair(request.context, request.continuation, encode, eosId)
          : separatePair(request.context, request.continuation, encode, eosId);
        const scoring = truncateLeft(pair.contextTokens, pair.continuationTokens, maxLength);
        result = scoring.targetTokens.length === 0
          ? { logprob: 0, isGreedy: true } // an empty continuation scores nothing: the sum of nothing
          : await this.scoreOne(await this.ensureCapacity(scoring.inputTokens.length), scoring);
        previous = { request, result };
      }
      results[index] = { ...result };
      finished++;
      onProgress?.(finished, requests.length);
    }
    return results;
  }

  private async scoreOne(sequence: LlamaContextSequence, scoring: ScoringInput): Promise<LoglikelihoodResponse> {
    const { inputTokens, targetTokens, firstScoredPosition } = scoring;
    // Reuse the cache only before the first scored position: its logits must be computed now.
    const reuse = await this.reusePrefix(sequence, inputTokens, firstScoredPosition);
    const items: ControlledEvaluateInputItem[] = [];
    for (let position = reuse; position < inputTokens.length; position++) {
      const token = inputTokens[position]!;
      if (position < firstScoredPosition) {
        items.push(asToken(token));
        continue;
      }
      const target = targetTokens[position - firstScoredPosition]!;
      // `token: true` with the default (greedy) sampler gives the argmax; `includeSelected`
      // adds its logit. `includeMax` is broken in 3.22.1 and is not used.
      items.push([asToken(token), { generateNext: { token: true, logits: { filter: { tokens: [asToken(target)], includeSelected: true } }, totalLogitWeight: true } }]);
    }
    const outputs = await sequence.controlledEvaluate(items);
    let logprob = 0;
    let isGreedy = true;
    for (let j = 0; j < targetTokens.length; j++) {
      const target = targetTokens[j]!;
      const next = outputs[firstScoredPosition + j - reuse]?.next;
      const argmax = next?.token;
      const targetLogit = next?.logits?.get(asToken(target));
      const maxLogit = argmax == null ? undefined : next?.logits?.get(argmax);
      const totalWeight = next?.totalLogitWeight;
      if (argmax == null || targetLogit === undefined || maxLogit === undefined || totalWeight === undefined) {
        throw new Error(`internal error: llama.cpp returned no logits for scored position ${firstScoredPosition + j}`);
      }
      logprob += targetLogit - maxLogit - Math.log(totalWeight);
      if (argmax !== target) isGreedy = false;
    }
    return { logprob, isGreedy };
  }

  generate(requests: ResolvedGenerateRequest[], onProgress?: (done: number, total: number) => void): Promise<GenerateResponse[]> {
    if (this.disposed) return Promise.reject(new Error("the llama backend has been disposed"));
    return this.serialise(() => this.generateAll(requests, onProgress));
  }

  private async generateAll(requests: ResolvedGenerateRequest[], onProgress?: (done: number, total: number) => void): Promise<GenerateResponse[]> {
    const { maxLength, eosId } = this.settings;
    const encode = this.memoizedEncoder();
    const results: GenerateResponse[] = new Array(requests.length);
    // Prompts that share a prefix (the same few shots) run one after another.
    const order = requests.map((_, index) => index).sort((a, b) => compareStrings(requests[a]!.context, requests[b]!.context));
    let finished = 0;
    for (const index of order) {
      const request = requests[index]!;
      const prompt = truncateGenerationContext(encode(request.context), maxLength, request.maxTokens);
      results[index] = await this.generateOne(prompt, request, primaryStopToken(request.until, encode, eosId));
      finished++;
      onProgress?.(finished, requests.length);
    }
    return results;
  }

  private async generateOne(prompt: number[], request: ResolvedGenerateRequest, stopToken: number): Promise<string> {
    const maxTokens = Math.max(0, Math.floor(request.maxTokens));
    if (maxTokens === 0) return "";
    if (prompt.length === 0) throw new RangeError("cannot generate from an empty context: it encodes to no tokens");
    // The last generated token is never evaluated.
    const sequence = await this.ensureCapacity(prompt.length + maxTokens - 1);
    const reuse = await this.reusePrefix(sequence, prompt, prompt.length - 1);
    const items: ControlledEvaluateInputItem[] = asTokens(prompt.slice(reuse));
    items[items.length - 1] = [asToken(prompt[prompt.length - 1]!), { generateNext: { token: true } }];
    let outputs = await sequence.controlledEvaluate(items);
    const generated: number[] = [];
    for (;;) {
      // Greedy: the default sampler (temperature 0) takes the argmax. An end-of-generation
      // token does not stop us: HF `generate` here stops only on the primary stop token.
      const token = outputs[outputs.length - 1]?.next.token;
      if (token == null) throw new Error("internal error: llama.cpp returned no next token");
      generated.push(token);
      if (token === stopToken || generated.length >= maxTokens) break;
      // Stop as soon as the cut text can no longer change (see `settledStopCut`):
      // exact, since the stop strings cut everything after their first occurrence.
      const settled = this.settledText(generated);
      if (settledStopCut(settled, request.until) !== null) break;
      outputs = await sequence.controlledEvaluate([[token, { generateNext: { token: true } }]]);
    }
    // HF `decode` keeps special tokens (skip_special_tokens=False): a generated </s> stays as text.
    return cutAtStopStrings(this.model.detokenize(asTokens(generated), true), request.until);
  }

  /** The part of the decoded text that later tokens cannot change. */
  private settledText(tokens: number[]): string {
    let text = this.model.detokenize(asTokens(tokens), true);
    let end = text.length;
    while (end > 0 && text[end - 1] === "\ufffd") end--;
    text = text.slice(0, Math.max(0, end - UNSETTLED_TAIL_CHARS));
    return text;
  }

  describe(): BackendDescription {
    const context = this.context;
    const keyType = context ? ggmlTypeName(context.kvCacheKeyType) : this.settings.kvCacheType;
    const valueType = context ? ggmlTypeName(context.kvCacheValueType) : this.settings.kvCacheType;
    return {
      engine: "llama.cpp (node-llama-cpp)",
      engineVersion: this.settings.engineVersion,
      modelPath: this.settings.modelPath,
      modelSha256: this.settings.modelSha256,
      // The largest input the backend accepts. The allocated context grows up to it on
      // demand; attention only covers the cells in use, so the allocation changes no number.
      contextSize: this.contextLimit,
      batchSize: this.settings.batchSize,
      threads: this.settings.threads,
      kvCacheType: keyType === valueType ? keyType : `k:${keyType},v:${valueType}`,
      flashAttention: context ? context.flashAttention === true : this.settings.flashAttention,
      gpu: this.llama.gpu,
      maxLength: this.settings.maxLength,
      logprobMethod: "controlledEvaluate logits filter + totalLogitWeight",
      tokenizer: { vocabulary: this.model.vocabularyType, bos: false },
    };
  }

  dispose(): Promise<void> {
    if (this.disposed) return Promise.resolve();
    this.disposed = true;
    return this.serialise(async () => {
      await this.disposeContext();
      await this.model.dispose();
      await releaseLlama(this.llama);
    });
  }
}

// Loading the llama.cpp binding costs about half a second (node-llama-cpp tests the
// prebuilt binary first), so backends in one process share one instance per GPU
// setting. It holds no model or KV state; it is disposed when its last backend is.
const sharedLlamas = new Map<string, { llama: Promise<Llama>; users: number }>();

async function acquireLlama(gpu: false | "auto" | "cuda" | "vulkan" | "metal"): Promise<Llama> {
  const key = String(gpu);
  let entry = sharedLlamas.get(key);
  if (entry === undefined) {
    const loading = getLlama({
      gpu,
      build: "never",
      skipDownload: true,
      progressLogs: false,
      // Without a GPU, node-llama-cpp's default is max(4, math cores): far too many on small
      // machines. Start at 1; each backend raises it to its own thread count.
      maxThreads: 1,
      logLevel: LlamaLogLevel.error,
    });
    entry = { llama: loading, users: 0 };
    sharedLlamas.set(key, entry);
    loading.catch(() => sharedLlamas.delete(key));
  }
  entry.users++;
  try {
    return await entry.llama;
  } catch (error) {
    throw new UserError(
      "usage",
      `Cannot load llama.cpp with gpu=${key} (${errorText(error)}). Install the matching @node-llama-cpp binary package (e.g. @node-llama-cpp/linux-x64-cuda) or run on the CPU.`,
    );
  }
}

async function releaseLlama(llama: Llama): Promise<void> {
  for (const [key, entry] of sharedLlamas) {
    if ((await entry.llama) !== llama) continue;
    entry.users--;
    if (entry.users <= 0) {
      sharedLlamas.delete(key);
      await llama.dispose();
    }
    return;
  }
}

/**
 * Loads a GGUF model in process with pinned settings and returns a Backend.
 * Throws `UserError` with one line for a bad model file or unusable settings.
 */
export async function createLlamaBackend(options: LlamaBackendOptions): Promise<Backend> {
  const { modelPath } = options;
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE;
  const kvCacheType = options.kvCacheType ?? "f16";
  const flashAttention = options.flashAttention ?? false;
  const gpu = options.gpu ?? false;
  if (options.threads !== undefined && (!Number.isInteger(options.threads) || options.threads < 1)) {
    throw new UserError("usage", `threads must be a whole number of at least 1, got ${options.threads}.`);
  }
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new UserError("usage", `batch size must be a whole number of at least 1, got ${batchSize}.`);
  const requestedContext = options.contextSize ?? "auto";
  if (requestedContext !== "auto" && (!Number.isInteger(requestedContext) || requestedContext < 2)) {
    throw new UserError("usage", `context size must be "auto" or a whole number of at least 2, got ${requestedContext}.`);
  }

  const file = await inspectModelFile(modelPath);

  const llama = await acquireLlama(gpu);
  const threads = options.threads ?? defaultThreads(llama);
  // The instance's thread cap bounds every context's threads; backends may share the instance.
  if (llama.maxThreads < threads) llama.maxThreads = threads;

  let model: LlamaModel;
  try {
    model = await llama.loadModel({
      modelPath,
      gpuLayers: gpu === false ? 0 : "auto",
      defaultContextFlashAttention: flashAttention,
    });
  } catch (error) {
    await releaseLlama(llama);
    throw new UserError("model", `Cannot load model ${modelPath} (${errorText(error)}). Check that llama.cpp supports this model and that there is enough memory.`);
  }

  try {
    const eosId = model.tokens.eos;
    if (eosId === null) throw new UserError("model", `Model ${modelPath} has no EOS token; the reference harnesses need one. Use a model whose GGUF defines tokenizer.ggml.eos_token_id.`);
    const maxLength = model.trainContextSize || file.trainContextSize;
    if (!(maxLength > 0)) throw new UserError("model", `Model ${modelPath} does not state its training context length; it is needed as the reference's max_length.`);
    const release = llama.llamaCppRelease;
    const engineVersion = `node-llama-cpp ${await getModuleVersion()}; llama.cpp ${release.repo}@${release.release} (${llama.buildType})`;
    const modelSha256 = options.modelSha256 ?? (await sha256File(modelPath));
    const backend = new LlamaBackend(llama, model, {
      modelPath,
      modelSha256,
      engineVersion,
      maxLength,
      fixedContextSize: requestedContext === "auto" ? undefined : requestedContext,
      batchSize,
      threads,
      kvCacheType,
      flashAttention,
      eosId,
    });
    // Create a first context now so that describe() reports the settings llama.cpp actually took.
    await backend.ensureCapacity(requestedContext === "auto" ? Math.min(INITIAL_AUTO_CAPACITY, maxLength) : requestedContext);
    return backend;
  } catch (error) {
    await model.dispose();
    await releaseLlama(llama);
    throw error;
  }
}
