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
  BackendStats,
  GenerateResponse,
  LoglikelihoodRequest,
  LoglikelihoodResponse,
  ResolvedGenerateRequest,
} from "../api/types.js";
import { UserError } from "../errors.js";
import { inspectModelFile } from "./modelFile.js";
import { sha256File } from "../util/files.js";
import {
  encodePair,
  primaryStopToken,
  separatePair,
  settledStopCut,
  cutAtStopStrings,
  scoringWindow,
  truncateGenerationContext,
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
  /**
   * Sequences evaluated side by side in one context, their decodes merged. "auto" (default):
   * 4 with a GPU, 2 on a CPU with more than 4 threads, else 1 (on a CPU one long prompt
   * already fills the matrix units). Each sequence holds its own KV cache.
   */
  sequences?: number | "auto";
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

/**
 * One log-likelihood request, tokenized. Its input is `(context + continuation)[start, start + length)`
 * (the reference's left truncation, without copying), and input position `firstScored + j`
 * predicts `continuation[j]`. Requests of one question share the `context` array.
 */
interface ScoringSlot {
  /** Where the request sits in the caller's list. */
  index: number;
  context: readonly number[];
  continuation: readonly number[];
  start: number;
  length: number;
  firstScored: number;
  /** Length of the common prefix with the previous slot in token order. */
  sharedWithPrevious: number;
  /** log P of each continuation token, written when its position is evaluated (by this request or one that shares the position). */
  logprobs: Float64Array;
  greedy: Uint8Array;
  filled: Uint8Array;
  filledCount: number;
}

function slotToken(slot: ScoringSlot, position: number): number {
  const at = slot.start + position;
  return at < slot.context.length ? slot.context[at]! : slot.continuation[at - slot.context.length]!;
}

function slotInput(slot: ScoringSlot): Token[] {
  const input = new Array<Token>(slot.length);
  for (let position = 0; position < slot.length; position++) input[position] = asToken(slotToken(slot, position));
  return input;
}

function sharedPrefixLength(a: ScoringSlot, b: ScoringSlot): number {
  const limit = Math.min(a.length, b.length);
  let position = 0;
  // The choices of one question share the context array: skip the part known to be equal.
  if (a.context === b.context && a.start === b.start) position = Math.min(limit, Math.max(0, a.context.length - a.start));
  while (position < limit && slotToken(a, position) === slotToken(b, position)) position++;
  return position;
}

/** Lexicographic order of the input tokens: the depth-first order of their prefix trie. */
function compareSlotInputs(a: ScoringSlot, b: ScoringSlot): number {
  const shared = sharedPrefixLength(a, b);
  if (shared < a.length && shared < b.length) return slotToken(a, shared) - slotToken(b, shared);
  return a.length - b.length;
}

function sharedTokenPrefix(a: readonly number[], b: readonly number[]): number {
  const limit = Math.min(a.length, b.length);
  let position = 0;
  while (position < limit && a[position] === b[position]) position++;
  return position;
}

function compareTokenArrays(a: readonly number[], b: readonly number[]): number {
  const shared = sharedTokenPrefix(a, b);
  if (shared < a.length && shared < b.length) return a[shared]! - b[shared]!;
  return a.length - b.length;
}

/** A continuation token wanted at an input position: which slot, and which of its tokens. */
interface WantedTarget {
  slot: ScoringSlot;
  tokenIndex: number;
}

/**
 * The default number of sequences evaluated side by side. One long prompt already fills a
 * CPU's matrix units, so merging decodes pays only with many cores (and for generation,
 * whose one-token steps merge into matrix products), and most on a GPU.
 */
function defaultSequences(gpu: string | false, threads: number): number {
  if (gpu !== false) return 4;
  return threads > 4 ? 2 : 1;
}

class LlamaBackend implements Backend {
  private context: LlamaContext | undefined;
  private sequences: LlamaContextSequence[] = [];
  /** Serialises calls: they share the sequences and their KV caches. */
  private queue: Promise<unknown> = Promise.resolve();
  private disposed = false;
  private readonly counters = {
    requestTokens: 0,
    tokensEvaluated: 0,
    prefixTrieTokens: 0,
    scoredPositions: 0,
    evaluationMs: 0,
    generatedTokens: 0,
    /** Result handling in this file, measured. */
    resultHandlingMs: 0,
    /** Engine-side extraction (one pass over the vocabulary per scored position): measured between consecutive results of a call... */
    sampleIntervalsMs: 0,
    sampleIntervals: 0,
    /** ...except each call's first result, whose start is not observable: charged the mean measured interval. */
    unmeasuredSamples: 0,
  };

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
      sequences: number;
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
   * Makes sure every sequence can hold `tokens` tokens without shifting. node-llama-cpp
   * shifts (drops the beginning, silently) once a sequence holds contextSize − 1
   * tokens, so the context needs one cell more than the tokens it will hold.
   * Calls size the context once, for their longest input, before evaluating anything.
   */
  async ensureCapacity(tokens: number): Promise<void> {
    if (tokens > this.contextLimit) {
      throw new UserError(
        "model",
        this.settings.fixedContextSize !== undefined
          ? `An input needs ${tokens} tokens of context but the context size is fixed at ${this.settings.fixedContextSize}; raise the context size or use "auto".`
          : `An input needs ${tokens} tokens of context but ${this.settings.modelPath} was trained on ${this.settings.maxLength}; lower the generation cap.`,
      );
    }
    const current = this.sequences[0]?.contextSize ?? 0;
    if (this.sequences.length > 0 && current - 1 >= tokens) return;
    // "auto" grows at least twofold, so a run of ever longer prompts recreates the context
    // (and loses its cache) only a few times; never beyond the training context.
    const size = this.settings.fixedContextSize !== undefined
      ? this.settings.fixedContextSize + 1
      : Math.min(Math.max(roundUp(tokens + 1, CONTEXT_ALIGNMENT), 2 * current), roundUp(this.settings.maxLength + 1, CONTEXT_ALIGNMENT));
    await this.disposeContext();
    let context: LlamaContext;
    try {
      context = await this.model.createContext({
        // Per sequence: node-llama-cpp allocates `sequences` times this many cells.
        contextSize: size,
        batchSize: Math.min(this.settings.batchSize, size),
        threads: this.settings.threads,
        sequences: this.settings.sequences,
        flashAttention: this.settings.flashAttention,
        experimentalKvCacheKeyType: this.settings.kvCacheType === "f32" ? "F32" : "F16",
        experimentalKvCacheValueType: this.settings.kvCacheType === "f32" ? "F32" : "F16",
        // Keep the full cache on sliding-window models, so any prefix can be reused.
        swaFullCache: true,
        failedCreationRemedy: false,
      });
    } catch (error) {
      throw new UserError(
        "model",
        `Cannot create a llama context of ${this.settings.sequences} × ${size} tokens for ${this.settings.modelPath} (${errorText(error)}). Use a smaller context size, fewer parallel sequences or free memory.`,
      );
    }
    this.context = context;
    this.sequences = Array.from({ length: this.settings.sequences }, () =>
      context.getSequence({
        contextShift: {
          // Guard: lengths are checked above, so a shift would be a bug; never let it pass silently.
          strategy: () => {
            throw new Error("internal error: llama context shift requested; inputs must fit the context");
          },
        },
      }),
    );
  }

  private async disposeContext(): Promise<void> {
    const context = this.context;
    this.sequences = [];
    this.context = undefined;
    if (context !== undefined && !context.disposed) await context.dispose();
  }

  /**
   * Keeps the first `keep` cached tokens at most (fewer if the cache differs
   * earlier) and erases the rest; returns how many were kept.
   */
  private async reusePrefix(sequence: LlamaContextSequence, tokens: Token[], keep: number): Promise<number> {
    const reuse = Math.min(sequence.compareContextTokens(tokens).firstDifferentIndex, keep);
    if (reuse === 0 && sequence.nextTokenIndex > 0) await sequence.clearHistory();
    else if (reuse < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{ start: reuse, end: sequence.nextTokenIndex }]);
    return reuse;
  }

  /**
   * Runs `work` on each item with every sequence pulling the next item in order, so that
   * with several sequences their evaluations run together and node-llama-cpp merges them
   * into one decode. Waits for all before reporting the first failure.
   */
  private async onSequences<T>(items: readonly T[], work: (sequence: LlamaContextSequence, item: T) => Promise<void>): Promise<void> {
    let next = 0;
    let failed = false;
    const worker = async (sequence: LlamaContextSequence): Promise<void> => {
      while (!failed && next < items.length) {
        const item = items[next++]!;
        try {
          await work(sequence, item);
        } catch (error) {
          failed = true;
          throw error;
        }
      }
    };
    const outcomes = await Promise.allSettled(this.sequences.slice(0, Math.max(1, Math.min(this.sequences.length, items.length))).map(worker));
    const failure = outcomes.find((outcome): outcome is PromiseRejectedResult => outcome.status === "rejected");
    if (failure !== undefined) throw failure.reason;
  }

  tokenize(text: string): number[] {
    // No BOS; SentencePiece's dummy prefix stays, as HF `encode(s, add_special_tokens=False)`.
    // HF also parses special-token text ("</s>") into the special token, even without
    // add_special_tokens: MGSM's stop list starts with `tokenizer.eos_token`, whose
    // `encode(...)[-1]` must be EOS (the primary stop token), not the ">" piece of the text.
    return this.model.tokenize(text, true);
  }

  eosText(): string {
    return this.model.detokenize([asToken(this.settings.eosId)], true);
  }

  stats(): BackendStats {
    const c = this.counters;
    const meanSampleMs = c.sampleIntervals > 0 ? c.sampleIntervalsMs / c.sampleIntervals : 0;
    return {
      requestTokens: c.requestTokens,
      tokensEvaluated: c.tokensEvaluated,
      prefixTrieTokens: c.prefixTrieTokens,
      scoredPositions: c.scoredPositions,
      scoreExtractionMs: c.resultHandlingMs + c.sampleIntervalsMs + c.unmeasuredSamples * meanSampleMs,
      evaluationMs: c.evaluationMs,
      generatedTokens: c.generatedTokens,
      sequences: this.settings.sequences,
    };
  }

  loglikelihood(requests: LoglikelihoodRequest[], onProgress?: (done: number, total: number) => void): Promise<LoglikelihoodResponse[]> {
    if (this.disposed) return Promise.reject(new Error("the llama backend has been disposed"));
    return this.serialise(() => this.scoreAll(requests, onProgress));
  }

  /**
   * Tokenizes every request (contexts once: the choices of a question share the array),
   * orders them by input tokens and cuts the order into groups that share scored positions.
   */
  private prepareScoring(requests: LoglikelihoodRequest[]): { slots: ScoringSlot[]; groups: ScoringSlot[][] } {
    const { eosId, maxLength } = this.settings;
    const contextMemo = new Map<string, number[]>();
    const encodeContext = (text: string): number[] => {
      let tokens = contextMemo.get(text);
      if (tokens === undefined) {
        tokens = this.tokenize(text);
        contextMemo.set(text, tokens);
      }
      return tokens;
    };
    const encode = (text: string): number[] => this.tokenize(text);
    // Text order first: it is nearly token order, which makes the token sort below cheap
    // (the sort is stable and fast on presorted runs).
    const textOrder = requests.map((_, index) => index).sort((a, b) => compareRequests(requests[a]!, requests[b]!));
    const slots: ScoringSlot[] = [];
    let previousContext: string | undefined;
    for (const index of textOrder) {
      const request = requests[index]!;
      // The memo only has to span one question's choices, which are adjacent in text order.
      if (request.context !== previousContext) contextMemo.clear();
      previousContext = request.context;
      const pair = request.tokenization === "encode_pair"
        ? encodePair(request.context, request.continuation, encode, eosId, encodeContext)
        : separatePair(request.context, request.continuation, encode, eosId, encodeContext);
      const window = scoringWindow(pair.contextTokens.length, pair.continuationTokens.length, maxLength);
      const targets = pair.continuationTokens.length;
      slots.push({
        index,
        context: pair.contextTokens,
        continuation: pair.continuationTokens,
        start: window.start,
        length: window.length,
        firstScored: window.firstScoredPosition,
        sharedWithPrevious: 0,
        logprobs: new Float64Array(targets),
        greedy: new Uint8Array(targets),
        filled: new Uint8Array(targets),
        filledCount: 0,
      });
    }
    slots.sort(compareSlotInputs);
    // Requests that share a scored position with the previous one go in its group: one
    // evaluation of that position serves all of them, so they must run on one sequence.
    const groups: ScoringSlot[][] = [];
    slots.forEach((slot, k) => {
      slot.sharedWithPrevious = k === 0 ? 0 : sharedPrefixLength(slots[k - 1]!, slot);
      if (slot.continuation.length === 0) return;
      const last = groups[groups.length - 1];
      const lastSlot = last?.[last.length - 1];
      if (last !== undefined && lastSlot === slots[k - 1] && slot.sharedWithPrevious > slot.firstScored) last.push(slot);
      else groups.push([slot]);
    });
    return { slots, groups };
  }

  private async scoreAll(requests: LoglikelihoodRequest[], onProgress?: (done: number, total: number) => void): Promise<LoglikelihoodResponse[]> {
    const results: LoglikelihoodResponse[] = new Array(requests.length);
    const { slots, groups } = this.prepareScoring(requests);
    let finished = 0;
    const finish = (slot: ScoringSlot): void => {
      // Summed in token order, as when the request is evaluated alone.
      let logprob = 0;
      let isGreedy = true;
      for (let j = 0; j < slot.continuation.length; j++) {
        logprob += slot.logprobs[j]!;
        if (slot.greedy[j] !== 1) isGreedy = false;
      }
      results[slot.index] = { logprob, isGreedy };
      finished++;
      onProgress?.(finished, requests.length);
    };
    let longest = 0;
    for (const slot of slots) {
      this.counters.requestTokens += slot.length;
      this.counters.prefixTrieTokens += slot.length - slot.sharedWithPrevious;
      longest = Math.max(longest, slot.length);
    }
    // An empty continuation scores nothing: the sum of nothing.
    for (const slot of slots) if (slot.continuation.length === 0) finish(slot);
    if (groups.length === 0) return results;
    await this.ensureCapacity(longest);
    await this.onSequences(groups, async (sequence, group) => {
      for (let g = 0; g < group.length; g++) {
        if (group[g]!.filledCount < group[g]!.continuation.length) await this.evaluateSlot(sequence, group, g);
        finish(group[g]!);
      }
    });
    if (this.counters.sampleIntervals === 0 && this.counters.unmeasuredSamples > 0) await this.calibrateExtraction();
    return results;
  }

  /**
   * Evaluates what `group[g]` still needs, reusing the sequence's cache up to its first
   * unscored position. Every evaluated position that later requests of the group share
   * and score is scored now too: all candidate tokens of a position go into one filter
   * list (MMLU's " A".." D" after one context cost one evaluation of its last token).
   */
  private async evaluateSlot(sequence: LlamaContextSequence, group: ScoringSlot[], g: number): Promise<void> {
    const slot = group[g]!;
    const input = slotInput(slot);
    let firstUnfilled = slot.firstScored;
    while (slot.filled[firstUnfilled - slot.firstScored] === 1) firstUnfilled++;
    const reuse = await this.reusePrefix(sequence, input, firstUnfilled);

    const wanted = new Map<number, WantedTarget[]>();
    const want = (position: number, target: ScoringSlot): void => {
      const tokenIndex = position - target.firstScored;
      if (target.filled[tokenIndex] === 1) return;
      const list = wanted.get(position);
      if (list === undefined) wanted.set(position, [{ slot: target, tokenIndex }]);
      else list.push({ slot: target, tokenIndex });
    };
    for (let position = Math.max(reuse, slot.firstScored); position < slot.length; position++) want(position, slot);
    // Later requests share this input up to the running minimum of consecutive shared prefixes.
    let shared = Number.POSITIVE_INFINITY;
    for (let h = g + 1; h < group.length; h++) {
      const other = group[h]!;
      shared = Math.min(shared, other.sharedWithPrevious);
      if (shared <= reuse) break;
      for (let position = Math.max(reuse, other.firstScored); position < shared; position++) want(position, other);
    }

    const items: ControlledEvaluateInputItem[] = [];
    for (let position = reuse; position < slot.length; position++) {
      const targets = wanted.get(position);
      if (targets === undefined) {
        items.push(input[position]!);
        continue;
      }
      const tokens = [...new Set(targets.map(({ slot: target, tokenIndex }) => asToken(target.continuation[tokenIndex]!)))];
      // `token: true` with the default (greedy) sampler gives the argmax; `includeSelected`
      // adds its logit. `includeMax` is broken in 3.22.1 and is not used.
      items.push([input[position]!, { generateNext: { token: true, logits: { filter: { tokens, includeSelected: true } }, totalLogitWeight: true } }]);
    }
    const resultTimes: number[] = [];
    const started = performance.now();
    const outputs = await sequence.controlledEvaluate(items, { onTokenResult: () => resultTimes.push(performance.now()) });
    const handlingStarted = performance.now();
    this.counters.evaluationMs += handlingStarted - started;
    this.counters.tokensEvaluated += items.length;
    this.counters.scoredPositions += wanted.size;

    for (const [position, targets] of wanted) {
      const next = outputs[position - reuse]?.next;
      const argmax = next?.token;
      const maxLogit = argmax == null ? undefined : next?.logits?.get(argmax);
      const totalWeight = next?.totalLogitWeight;
      if (argmax == null || maxLogit === undefined || totalWeight === undefined) {
        throw new Error(`internal error: llama.cpp returned no logits for scored position ${position}`);
      }
      const logTotal = Math.log(totalWeight);
      for (const { slot: target, tokenIndex } of targets) {
        const token = target.continuation[tokenIndex]!;
        const logit = next?.logits?.get(asToken(token));
        if (logit === undefined) throw new Error(`internal error: llama.cpp returned no logit for token ${token} at position ${position}`);
        target.logprobs[tokenIndex] = logit - maxLogit - logTotal;
        target.greedy[tokenIndex] = argmax === token ? 1 : 0;
        if (target.filled[tokenIndex] !== 1) {
          target.filled[tokenIndex] = 1;
          target.filledCount++;
        }
      }
    }
    if (slot.filledCount !== slot.continuation.length) throw new Error("internal error: a scored position was left out");
    this.counters.resultHandlingMs += performance.now() - handlingStarted;
    this.recordResultTimes(resultTimes);
  }

  /**
   * Results come out one by one after the forward pass, each from one pass over the
   * vocabulary: the gap between consecutive results of a call is one extraction.
   */
  private recordResultTimes(times: number[]): void {
    if (times.length === 0) return;
    this.counters.unmeasuredSamples++;
    for (let k = 1; k < times.length; k++) {
      this.counters.sampleIntervalsMs += times[k]! - times[k - 1]!;
      this.counters.sampleIntervals++;
    }
  }

  /**
   * When every call had one scored position (MMLU: the four choices share one), no gap
   * was seen: measure one on 8 positions of the last input, after the work is done.
   */
  private async calibrateExtraction(): Promise<void> {
    const sequence = this.sequences[0];
    if (sequence === undefined || this.sequences[0]!.contextSize < 10) return;
    const tokens = [...sequence.contextTokens.slice(0, 9)];
    if (tokens.length < 9) return;
    await sequence.clearHistory();
    const filter = { tokens: tokens.slice(0, 4), includeSelected: true };
    const times: number[] = [];
    await sequence.controlledEvaluate(
      tokens.map((token, position) => (position === 0 ? token : [token, { generateNext: { token: true, logits: { filter }, totalLogitWeight: true } }])),
      { onTokenResult: () => times.push(performance.now()) },
    );
    await sequence.clearHistory();
    for (let k = 1; k < times.length; k++) {
      this.counters.sampleIntervalsMs += times[k]! - times[k - 1]!;
      this.counters.sampleIntervals++;
    }
  }

  generate(requests: ResolvedGenerateRequest[], onProgress?: (done: number, total: number) => void): Promise<GenerateResponse[]> {
    if (this.disposed) return Promise.reject(new Error("the llama backend has been disposed"));
    return this.serialise(() => this.generateAll(requests, onProgress));
  }

  private async generateAll(requests: ResolvedGenerateRequest[], onProgress?: (done: number, total: number) => void): Promise<GenerateResponse[]> {
    const { maxLength, eosId } = this.settings;
    const memo = new Map<string, number[]>();
    const encode = (text: string): number[] => {
      let tokens = memo.get(text);
      if (tokens === undefined) {
        if (memo.size >= ENCODE_MEMO_SIZE) memo.clear();
        tokens = this.tokenize(text);
        memo.set(text, tokens);
      }
      return tokens;
    };
    const prompts = requests.map((request) => truncateGenerationContext(encode(request.context), maxLength, request.maxTokens));
    const stopTokens = requests.map((request) => primaryStopToken(request.until, encode, eosId));
    // Prompts in token order: those that share a prefix (the same few shots) run one after
    // another on a sequence and keep its cache.
    const order = requests.map((_, index) => index).sort((a, b) => compareTokenArrays(prompts[a]!, prompts[b]!));
    let longest = 0;
    order.forEach((index, k) => {
      const prompt = prompts[index]!;
      this.counters.requestTokens += prompt.length;
      this.counters.prefixTrieTokens += prompt.length - (k === 0 ? 0 : sharedTokenPrefix(prompts[order[k - 1]!]!, prompt));
      const maxTokens = Math.max(0, Math.floor(requests[index]!.maxTokens));
      // The last generated token is never evaluated.
      if (maxTokens > 0 && prompt.length > 0) longest = Math.max(longest, prompt.length + maxTokens - 1);
    });
    const results: GenerateResponse[] = new Array(requests.length);
    if (longest > 0) await this.ensureCapacity(longest);
    let finished = 0;
    await this.onSequences(order, async (sequence, index) => {
      results[index] = await this.generateOne(sequence, prompts[index]!, requests[index]!, stopTokens[index]!);
      finished++;
      onProgress?.(finished, requests.length);
    });
    return results;
  }

  private async generateOne(sequence: LlamaContextSequence, prompt: number[], request: ResolvedGenerateRequest, stopToken: number): Promise<string> {
    const maxTokens = Math.max(0, Math.floor(request.maxTokens));
    if (maxTokens === 0) return "";
    if (prompt.length === 0) throw new RangeError("cannot generate from an empty context: it encodes to no tokens");
    const promptTokens = asTokens(prompt);
    const reuse = await this.reusePrefix(sequence, promptTokens, prompt.length - 1);
    const items: ControlledEvaluateInputItem[] = promptTokens.slice(reuse);
    items[items.length - 1] = [asToken(prompt[prompt.length - 1]!), { generateNext: { token: true } }];
    let started = performance.now();
    let outputs = await sequence.controlledEvaluate(items);
    this.counters.evaluationMs += performance.now() - started;
    this.counters.tokensEvaluated += items.length;
    const generated: number[] = [];
    for (;;) {
      // Greedy: the default sampler (temperature 0) takes the argmax. An end-of-generation
      // token does not stop us: HF `generate` here stops only on the primary stop token.
      const token = outputs[outputs.length - 1]?.next.token;
      if (token == null) throw new Error("internal error: llama.cpp returned no next token");
      generated.push(token);
      this.counters.generatedTokens++;
      if (token === stopToken || generated.length >= maxTokens) break;
      // Stop as soon as the cut text can no longer change (see `settledStopCut`):
      // exact, since the stop strings cut everything after their first occurrence.
      const settled = this.settledText(generated);
      if (settledStopCut(settled, request.until) !== null) break;
      started = performance.now();
      // With several sequences these one-token steps run together in one decode.
      outputs = await sequence.controlledEvaluate([[token, { generateNext: { token: true } }]]);
      this.counters.evaluationMs += performance.now() - started;
      this.counters.tokensEvaluated++;
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
      // Sequences evaluated side by side: merged decodes group tokens differently, which
      // may move scores in the last float bits.
      sequences: this.settings.sequences,
      kvCacheType: keyType === valueType ? keyType : `k:${keyType},v:${valueType}`,
      flashAttention: context ? context.flashAttention === true : this.settings.flashAttention,
      gpu: this.llama.gpu,
      maxLength: this.settings.maxLength,
      logprobMethod: "controlledEvaluate logits filter + totalLogitWeight",
      tokenizer: { vocabulary: this.model.vocabularyType, bos: false, specialTokensInText: "parsed" },
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
  const requestedSequences = options.sequences ?? "auto";
  if (requestedSequences !== "auto" && (!Number.isInteger(requestedSequences) || requestedSequences < 1)) {
    throw new UserError("usage", `parallel sequences must be "auto" or a whole number of at least 1, got ${requestedSequences}.`);
  }
  const requestedContext = options.contextSize ?? "auto";
  if (requestedContext !== "auto" && (!Number.isInteger(requestedContext) || requestedContext < 2)) {
    throw new UserError("usage", `context size must be "auto" or a whole number of at least 2, got ${requestedContext}.`);
  }

  const file = await inspectModelFile(modelPath);

  const llama = await acquireLlama(gpu);
  const threads = options.threads ?? defaultThreads(llama);
  const sequences = requestedSequences === "auto" ? defaultSequences(gpu, threads) : requestedSequences;
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
      sequences,
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
