// The llama.cpp side of the backend (node-llama-cpp 3.22.1): one loaded model, one
// context of N sequences sized on demand, reuse of a sequence's cached prefix, and
// running work on the sequences side by side. Also the llama.cpp binding that every
// backend and tokenizer of the process shares.

import {
  getLlama,
  GgmlType,
  LlamaLogLevel,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaModel,
  type Token,
} from "node-llama-cpp";
import { UserError } from "../../util/errors.js";
import { oneLine } from "../../util/oneLine.js";
import { singleTokenOnOneThread } from "./threads.js";

export type GpuSetting = false | "auto" | "cuda" | "vulkan" | "metal";

export interface EngineSettings {
  modelPath: string;
  /** The reference's `max_length`: the model's training context. */
  maxLength: number;
  fixedContextSize: number | undefined;
  batchSize: number;
  threads: number;
  sequences: number;
  kvCacheType: "f16" | "f32";
  flashAttention: boolean;
}

/** node-llama-cpp 3.22.1's internal sequence copy (see `LlamaEngine.copyPrefix`). */
interface SequenceCopy {
  _copyStateFromOtherSequence(otherSequence: LlamaContextSequence, upToTokenIndex: number): Promise<boolean>;
}

/** llama.cpp aligns context sizes to 256 cells. */
const CONTEXT_ALIGNMENT = 256;

// node-llama-cpp brands token ids; the Backend contract uses plain numbers.
export function asToken(id: number): Token {
  return id as Token;
}
export function asTokens(ids: readonly number[]): Token[] {
  return ids as Token[];
}


function ggmlTypeName(type: GgmlType): string {
  return (GgmlType[type] ?? String(type)).toLowerCase();
}

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

export class LlamaEngine {
  private context: LlamaContext | undefined;
  private sequences: LlamaContextSequence[] = [];

  constructor(
    readonly llama: Llama,
    readonly model: LlamaModel,
    readonly settings: EngineSettings,
  ) {}

  /** The most tokens one evaluation may hold. */
  get contextLimit(): number {
    return this.settings.fixedContextSize ?? this.settings.maxLength;
  }

  /** Tokens one llama_decode takes (the context's batch size once one exists). */
  get batchSize(): number {
    return this.context?.batchSize ?? this.settings.batchSize;
  }

  /** The first sequence, once a context exists. */
  get firstSequence(): LlamaContextSequence | undefined {
    return this.sequences[0];
  }

  /**
   * The context's sequences, in llama.cpp sequence id order (they are created in order, so
   * index = id). Decodes of several sequences merge only in this order into one compute
   * (llama.cpp's equal split takes consecutive sequence ids), which is why batches are
   * launched by index.
   */
  get allSequences(): readonly LlamaContextSequence[] {
    return this.sequences;
  }

  /**
   * Whether one sequence's KV cache can be copied into another. node-llama-cpp 3.22.1 has
   * it only as the internal `_copyStateFromOtherSequence` (llama_memory_seq_cp; with the
   * per-sequence caches node-llama-cpp creates, a copy of the buffers done at the next
   * decode). Checked by feature, so that another version without it falls back to
   * evaluating the prefix again. Models whose cache needs checkpoints (recurrent, hybrid,
   * sliding window without the full cache) are left out.
   */
  get canCopySequences(): boolean {
    const sequence = this.sequences[0] as (LlamaContextSequence & Partial<SequenceCopy>) | undefined;
    return sequence !== undefined && this.sequences.length > 1 && typeof sequence._copyStateFromOtherSequence === "function" && !sequence.needsCheckpoints;
  }

  /**
   * Makes `target` hold the first `upTo` cached tokens of `source` (which must hold at least
   * that many) and nothing else. Returns false when the copy did not happen; the caller
   * then evaluates the tokens instead.
   */
  async copyPrefix(target: LlamaContextSequence, source: LlamaContextSequence, upTo: number): Promise<boolean> {
    if (!this.canCopySequences || target === source || source.nextTokenIndex < upTo) return false;
    const copy = (target as LlamaContextSequence & Partial<SequenceCopy>)._copyStateFromOtherSequence;
    if (copy === undefined) return false;
    const copied = await copy.call(target, source, upTo);
    if (copied === true && target.nextTokenIndex === upTo) return true;
    // A failed copy leaves the target in an unknown state: start it afresh.
    await target.clearHistory();
    return false;
  }

  /** What llama.cpp took for the cache and attention settings; undefined before the first context. */
  contextSettings(): { kvCacheKeyType: string; kvCacheValueType: string; flashAttention: boolean } | undefined {
    const context = this.context;
    if (context === undefined) return undefined;
    return { kvCacheKeyType: ggmlTypeName(context.kvCacheKeyType), kvCacheValueType: ggmlTypeName(context.kvCacheValueType), flashAttention: context.flashAttention === true };
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
        `Cannot create a llama context of ${this.settings.sequences} × ${size} tokens for ${this.settings.modelPath} (${oneLine(error)}). Use a smaller context size, fewer parallel sequences or free memory.`,
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
    // Not for models whose cache needs checkpoints: node-llama-cpp passes the native
    // context itself to those, and a proxy is not one.
    if (this.settings.threads > 1 && this.llama.gpu === false && this.sequences.every((sequence) => !sequence.needsCheckpoints)) singleTokenOnOneThread(context);
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
  async reusePrefix(sequence: LlamaContextSequence, tokens: readonly number[], keep: number): Promise<number> {
    const reuse = Math.min(sequence.compareContextTokens(asTokens(tokens)).firstDifferentIndex, keep);
    if (reuse === 0 && sequence.nextTokenIndex > 0) await sequence.clearHistory();
    else if (reuse < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{ start: reuse, end: sequence.nextTokenIndex }]);
    return reuse;
  }

  /**
   * Runs `work` on each item with every sequence pulling the next item in order, so that
   * with several sequences their evaluations run together and node-llama-cpp merges them
   * into one decode. Waits for all before reporting the first failure.
   */
  async onSequences<T>(items: readonly T[], work: (sequence: LlamaContextSequence, item: T) => Promise<void>): Promise<void> {
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

  /** Frees the context and the model, and this engine's hold on the shared binding. */
  async dispose(): Promise<void> {
    await this.disposeContext();
    await this.model.dispose();
    await releaseLlama(this.llama);
  }
}

// Loading the llama.cpp binding costs about half a second (node-llama-cpp tests the
// prebuilt binary first), so backends in one process share one instance per GPU
// setting. It holds no model or KV state; it is disposed when its last user is.
const sharedLlamas = new Map<string, { llama: Promise<Llama>; users: number }>();

/** The process's llama.cpp binding for `gpu`; every call must be matched by `releaseLlama`. */
export async function acquireLlama(gpu: GpuSetting): Promise<Llama> {
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
      `Cannot load llama.cpp with gpu=${key} (${oneLine(error)}). Install the matching @node-llama-cpp binary package (e.g. @node-llama-cpp/linux-x64-cuda) or run on the CPU.`,
    );
  }
}

export async function releaseLlama(llama: Llama): Promise<void> {
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
