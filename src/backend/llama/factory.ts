// `createLlamaBackend`: checks the options, loads the model with pinned settings and
// assembles the backend from its parts.

import { oneLine } from "../../util/oneLine.js";
import os from "node:os";
import { getModuleVersion, type Llama, type LlamaModel } from "node-llama-cpp";
import path from "node:path";
import type { Backend, TextTokenizer } from "../../api/types.js";
import { ggufTokenizerWarning, type GgufVocabularyMetadata } from "../tokenizers/ggufVocabularyCheck.js";
import { UserError } from "../../util/errors.js";
import { inspectModelFile } from "../modelFile.js";
import { sha256File } from "../../util/files.js";
import { killPoint } from "../../util/killPoint.js";
import { LlamaBackend } from "./backend.js";
import { acquireLlama, LlamaEngine, releaseLlama, type GpuSetting } from "./engine.js";
import { TimingProbe, UNTIMED } from "./instrumentation.js";
import { ModelTokenizer } from "./tokenizer.js";
import { loadOnce } from "./loadFailure.js";
import { chooseMmap, loadedCpuVariant, MMAP_SETTINGS, type MmapSetting } from "./cpuVariant.js";

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
   * 4 with a GPU, else 1 (see `defaultSequences`). Never
   * derived from the thread count: sequences can move scores in the last bits and are part
   * of the cache key, which must not change with `threads`. Each sequence holds its own KV cache.
   */
  sequences?: number | "auto";
  /** KV cache element type for keys and values. Default "f16" (llama.cpp's default), pinned and recorded. */
  kvCacheType?: "f16" | "f32";
  /** Flash attention. Default false (node-llama-cpp's own default is "auto"); pinned and recorded. */
  flashAttention?: boolean;
  /** GPU backend. Default false (CPU only). */
  gpu?: GpuSetting;
  /** Memory-map the weights: "auto" (default) maps them unless the CPU kernels repack them (cpuVariant.ts). */
  mmap?: MmapSetting;
  /** The model file's SHA-256, when already known (otherwise it is computed). */
  modelSha256?: string;
  /**
   * Benchmarks only: time evaluations and score extraction (`stats().evaluationMs`,
   * `scoreExtractionMs`). Costs a callback per scored position and, once, an extra
   * evaluation that clears a sequence's cache. Default false: both timings stay 0.
   */
  instrument?: boolean;
  /**
   * The model's own tokenizer (`--hf-tokenizer`): it makes every token id llama.cpp evaluates,
   * instead of llama.cpp's reading of the GGUF's vocabulary.
   */
  ownTokenizer?: TextTokenizer;
  /** Where a warning line goes (the GGUF vocabulary check); default: nowhere. */
  warn?: (line: string) => void;
}

const DEFAULT_BATCH_SIZE = 512;
/** Tokens the first "auto" context holds (a 512-cell context); it grows on demand. */
const INITIAL_AUTO_CAPACITY = 511;

/** The default thread count: physical cores (llama.cpp's math-core count), within what this process may use. */
function defaultThreads(llama: Llama): number {
  return Math.max(1, Math.min(llama.cpuMathCores || 1, os.availableParallelism()));
}

/**
 * The default number of sequences evaluated side by side: 4 with a GPU, 1 on a CPU. With several
 * sequences the scorer copies a shared prefix between them instead of evaluating it again and
 * puts a question's choices (or several questions under one few-shot prefix) into one decode
 * (`--parallel N`); scores then move in the last bits with the batch's make-up (≤ 2e-6 nats per
 * token measured on the shared models). On a CPU the wall-time gain has not been measured on an
 * idle machine yet, so the CPU default stays the exact one-sequence path. The GPU figure is not
 * measured either (no GPU was available). It does not depend on the thread count, so that runs
 * differing only in `threads` share their cached answers.
 */
function defaultSequences(gpu: GpuSetting): number {
  return gpu !== false ? 4 : 1;
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

  const mmapSetting = options.mmap ?? "auto";
  if (!MMAP_SETTINGS.includes(mmapSetting)) throw new UserError("usage", `mmap must be one of ${MMAP_SETTINGS.join(", ")}, got ${String(mmapSetting)}.`);

  const file = await inspectModelFile(modelPath);
  if (file.vocabularyOnly) {
    throw new UserError(
      "model",
      `${modelPath} is a vocabulary-only GGUF (no weights), so it cannot be evaluated; pass the model's full GGUF as --model, and use this file as a tokenizer (--tokenizer with --backend openai, or \`rakuten-eval tokenize --model\`).`,
    );
  }

  const llama = await acquireLlama(gpu);
  const threads = options.threads ?? defaultThreads(llama);
  const sequences = requestedSequences === "auto" ? defaultSequences(gpu) : requestedSequences;
  // The instance's thread cap bounds every context's threads; backends may share the instance.
  if (llama.maxThreads < threads) llama.maxThreads = threads;
  // ggml has loaded its best CPU variant with the binding (getLlama), before any model.
  const cpuVariant = loadedCpuVariant();
  const mmap = chooseMmap(mmapSetting, cpuVariant, file.weightTypes, gpu !== false);

  let model: LlamaModel;
  try {
    // One line naming llama.cpp's cause when it cannot load the file (./loadFailure.ts).
    model = await loadOnce(llama, modelPath, (loadSignal) =>
      llama.loadModel({
        modelPath,
        gpuLayers: gpu === false ? 0 : "auto",
        defaultContextFlashAttention: flashAttention,
        useMmap: mmap.useMmap,
        loadSignal,
      }),
    );
  } catch (error) {
    await releaseLlama(llama);
    throw error;
  }

  try {
    killPoint("model-load");
    const tokenizer = ModelTokenizer.of(model, modelPath, file.trainContextSize, options.ownTokenizer);
    if (!options.ownTokenizer) {
      const ggml = (model.fileInfo.metadata as { tokenizer?: { ggml?: GgufVocabularyMetadata } }).tokenizer?.ggml;
      const warning = ggufTokenizerWarning(ggml, path.basename(modelPath));
      if (warning) options.warn?.(warning);
    }
    const maxLength = tokenizer.trainContextSize;
    const release = llama.llamaCppRelease;
    const engineVersion = `node-llama-cpp ${await getModuleVersion()}; llama.cpp ${release.repo}@${release.release} (${llama.buildType})`;
    const modelSha256 = options.modelSha256 ?? (await sha256File(modelPath));
    const engine = new LlamaEngine(llama, model, {
      modelPath,
      maxLength,
      fixedContextSize: requestedContext === "auto" ? undefined : requestedContext,
      batchSize,
      threads,
      sequences,
      kvCacheType,
      flashAttention,
    });
    const backend = new LlamaBackend(engine, tokenizer, { modelSha256, engineVersion, cpuVariant, mmap: { used: mmap.useMmap, reason: mmap.reason } }, options.instrument ? new TimingProbe() : UNTIMED);
    // Create a first context now so that describe() reports the settings llama.cpp actually took.
    await engine.ensureCapacity(requestedContext === "auto" ? Math.min(INITIAL_AUTO_CAPACITY, maxLength) : requestedContext);
    return backend;
  } catch (error) {
    await model.dispose();
    await releaseLlama(llama);
    throw error;
  }
}
