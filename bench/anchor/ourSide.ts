// One timed rakuten-eval contender of the anchor, run as its own process (so that both
// contenders are whole processes: start, model load, work): loads the model with the
// backend's defaults, builds the workload with the evaluator, scores or generates it, and
// prints one JSON line with the backend's work counters. It writes no result files.
//
// node dist/bench/anchor/ourSide.js --model M --workload jcqa|mmlu|mgsm --docs N --threads T
//   [--sequences N] [--flash-attention]

import { parseArgs } from "node:util";
import { createLlamaBackend } from "../../src/backend/llama/index.js";
import { resolveGenerate } from "../../src/evaluator.js";
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
    },
  });
  const workload = await buildAnchorWorkload(values.workload as WorkloadName, Number(values.docs));
  const backend = await createLlamaBackend({
    modelPath: values.model!,
    threads: Number(values.threads),
    modelSha256: "not computed (benchmark)",
    flashAttention: values["flash-attention"],
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
  };
  console.log(JSON.stringify(report));
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
