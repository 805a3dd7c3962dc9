// One timed rakuten-eval contender of the anchor, run as its own process (so that both
// contenders are whole processes: start, model load, work): loads the model with the
// backend's defaults, builds the workload with the evaluator, scores or generates it, and
// prints one JSON line with the backend's work counters and the process's peak RSS. It
// writes no result files. `--instrument` (never in a timed round) adds the benchmark
// timings: score extraction and the generation steps without the prompts' prefill.
//
// node dist/bench/anchor/ourSide.js --model M --workload jcqa|mmlu|mgsm --docs N --threads T
//   [--sequences N] [--flash-attention] [--instrument]

import { parseArgs } from "node:util";
import { createLlamaBackend } from "../../src/backend/llama/index.js";
import { resolveGenerate } from "../../src/evaluation/evaluator.js";
import { buildAnchorWorkload, type WorkloadName } from "./workloads.js";

export interface OurSideReport {
  wallMs: number;
  workMs: number;
  tokensEvaluated: number;
  prefixTrieTokens: number;
  decodes: number;
  generatedTokens: number;
  sequences: number;
  flashAttention: boolean;
  /** The CPU kernels (libggml-cpu-<variant>.so) the backend recorded. */
  cpuVariant?: string;
  mmap: boolean;
  /** The process's peak resident set (model, context, harness). */
  peakRssBytes: number;
  /** With --instrument only. */
  scoreExtractionMs?: number;
  generationSteps?: { count: number; ms: number };
}

async function main(): Promise<void> {
  const started = performance.now();
  const { values } = parseArgs({
    options: {
      model: { type: "string" },
      workload: { type: "string" },
      docs: { type: "string" },
      threads: { type: "string", default: "2" },
      sequences: { type: "string" },
      "flash-attention": { type: "boolean", default: false },
      mmap: { type: "string" },
      instrument: { type: "boolean", default: false },
    },
  });
  const workload = await buildAnchorWorkload(values.workload as WorkloadName, Number(values.docs));
  const backend = await createLlamaBackend({
    modelPath: values.model!,
    threads: Number(values.threads),
    modelSha256: "not computed (benchmark)",
    flashAttention: values["flash-attention"],
    instrument: values.instrument,
    ...(values.mmap !== undefined ? { mmap: values.mmap as "on" | "off" | "auto" } : {}),
    ...(values.sequences !== undefined ? { sequences: Number(values.sequences) } : {}),
  });
  const workStarted = performance.now();
  if (workload.scoring.length > 0) await backend.loglikelihood(workload.scoring);
  if (workload.generation.length > 0) await backend.generate(workload.generation.map((request) => resolveGenerate(request, backend)));
  const workMs = performance.now() - workStarted;
  const stats = backend.stats!();
  const description = backend.describe();
  await backend.dispose();
  const report: OurSideReport = {
    wallMs: performance.now() - started,
    workMs,
    tokensEvaluated: stats.tokensEvaluated,
    prefixTrieTokens: stats.prefixTrieTokens,
    decodes: stats.decodes ?? 0,
    generatedTokens: stats.generatedTokens,
    sequences: stats.sequences,
    flashAttention: description.flashAttention,
    ...(typeof description["cpuVariant"] === "string" ? { cpuVariant: description["cpuVariant"] } : {}),
    mmap: description["mmap"] === true,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    ...(values.instrument ? { scoreExtractionMs: stats.scoreExtractionMs, ...(stats.generationSteps ? { generationSteps: stats.generationSteps } : {}) } : {}),
  };
  console.log(JSON.stringify(report));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
