// What `run` takes and what it returns, shared by the run's phases (src/run/run.ts runs them).

import type { RunProgress } from "../api/progress.js";
import type { PhaseCounts } from "../backend/cachingBackend.js";
import type { TaskResult } from "../evaluation/evaluator.js";
import type { ResultsDocument } from "../results/document.js";
import type { ShardSpec } from "../shard/shard.js";
import type { OutputFormat } from "./runOutput.js";
import type { RunInput } from "./runInput.js";

/** `run`'s options: what the input checks read (`RunInput`, documented there) and the engine's settings. */
export interface RunOptions extends RunInput {
  outputDir?: string;
  threads?: number;
  /** llama.cpp sequences evaluated side by side (default "auto": 4). */
  parallel?: number;
  contextSize?: number;
  batchSize?: number;
  kvCacheType?: "f16" | "f32";
  flashAttention?: boolean;
  /** Memory-map the weights (default "auto": not when the CPU kernels repack them). */
  mmap?: "on" | "off" | "auto";
  gpu?: false | "auto" | "cuda" | "vulkan" | "metal";
  /** Stops the run: finished answers are kept, partial results written, `InterruptedError` thrown. */
  signal?: AbortSignal;
  /** A name for the run, recorded as rakuten_eval.label (compare and report show it). */
  label?: string;
  /** `--format`: also write the Open LLM Leaderboard v1 or jp-stable results file (the lm-eval layout is always written). */
  format?: OutputFormat;
  /** Called as requests are answered (src/terminal/progress.ts shows these). */
  onProgress?: (report: RunProgress) => void;
  /** `--shard i/N`: score only this shard's docs of the whole plan (src/shard/shard.ts). */
  shard?: ShardSpec;
}

export interface RunOutcome {
  doc: ResultsDocument;
  /** `--hf-tokenizer` beside a GGUF: how the GGUF's own tokenizer agrees, for the summary. */
  tokenizerLine?: string;
  resultsPath: string;
  samplesPaths: string[];
  /** The `--format` file, when one was written. */
  formatPath?: string;
  taskResults: TaskResult[];
  /** How each phase was answered: from the cache or computed. */
  cache: PhaseCounts[];
  /** Tokens the engine ran through the model (null when the backend does not count them). */
  tokensEvaluated: number | null;
  /** Wall time of the whole run, input checks and writing included. */
  durationSeconds: number;
}
