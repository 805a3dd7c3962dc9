// `node dist/bench/flashDrift.js [--model PATH] [--docs N]`: how far flash attention moves
// scores on real prompts. Scores JCommonsenseQA 3-shot and MMLU 5-shot (anatomy,
// astronomy) requests with flash attention off and on (everything else at the backend's
// defaults) and prints, per workload, the largest and mean |Δ log-likelihood| per choice
// and per continuation token, and the docs whose chosen answer (the argmax, as accuracy
// uses it) differs. Default model: ../shared/models/stories260K.gguf.
// `--vary sequences [--sequences N]` compares one sequence with N (default 8) side by side
// instead, flash attention off: how far merged decodes move the scores.

import path from "node:path";
import { parseArgs } from "node:util";
import type { LoglikelihoodRequest } from "../src/api/types.js";
import { createLlamaBackend } from "../src/backend/llama/index.js";
import { planTask } from "../src/evaluation/taskPlan.js";
import { findTask } from "../src/tasks/registry.js";

const DATA_DIR = path.resolve(process.cwd(), "../shared/datasets");

interface Doc {
  requests: LoglikelihoodRequest[];
}

async function docsOf(task: string, shots: number, limit: number): Promise<Doc[]> {
  const plan = await planTask({ task: findTask(task), shots }, { dataDir: DATA_DIR, limit });
  return plan.docs.map((doc) => ({ requests: doc.requests.filter((request): request is LoglikelihoodRequest => request.type === "loglikelihood") }));
}

function argmax(values: number[]): number {
  return values.reduce((best, value, index) => (value > values[best]! ? index : best), 0);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { model: { type: "string" }, docs: { type: "string", default: "20" }, threads: { type: "string", default: "2" }, vary: { type: "string", default: "flash" }, sequences: { type: "string", default: "8" } },
  });
  if (values.vary !== "flash" && values.vary !== "sequences") throw new Error(`--vary must be flash or sequences, got ${values.vary}`);
  const bySequences = values.vary === "sequences";
  const settings = bySequences ? [{ sequences: 1 }, { sequences: Number(values.sequences) }] : [{ flashAttention: false }, { flashAttention: true }];
  const modelPath = path.resolve(values.model ?? "../shared/models/stories260K.gguf");
  const limit = Number(values.docs);
  const workloads = [
    { name: "JCommonsenseQA 3-shot", docs: await docsOf("jcommonsenseqa-1.1-0.3", 3, limit) },
    { name: "MMLU 5-shot (anatomy, astronomy)", docs: [...(await docsOf("hendrycksTest-anatomy", 5, limit)), ...(await docsOf("hendrycksTest-astronomy", 5, limit))] },
  ];
  const scores: number[][][] = [];
  for (const setting of settings) {
    const backend = await createLlamaBackend({ modelPath, threads: Number(values.threads), modelSha256: "not computed (benchmark)", ...setting });
    try {
      const perWorkload: number[][] = [];
      for (const workload of workloads) perWorkload.push((await backend.loglikelihood(workload.docs.flatMap((doc) => doc.requests))).map((result) => result.logprob));
      scores.push(perWorkload);
    } finally {
      await backend.dispose();
    }
  }
  const tokenizer = await createLlamaBackend({ modelPath, threads: 1, modelSha256: "not computed (benchmark)", sequences: 1 });
  console.log(`model ${path.basename(modelPath)}; ${bySequences ? `1 sequence vs ${values.sequences} side by side (flash attention off` : "flash attention off vs on (default sequences"}, F16 KV cache)`);
  for (const [w, workload] of workloads.entries()) {
    const off = scores[0]![w]!;
    const on = scores[1]![w]!;
    let largest = 0;
    let sum = 0;
    let largestPerToken = 0;
    const requests = workload.docs.flatMap((doc) => doc.requests);
    requests.forEach((request, k) => {
      const delta = Math.abs(off[k]! - on[k]!);
      largest = Math.max(largest, delta);
      sum += delta;
      largestPerToken = Math.max(largestPerToken, delta / Math.max(1, tokenizer.tokenize(request.continuation).length));
    });
    let offset = 0;
    let changed = 0;
    for (const doc of workload.docs) {
      const n = doc.requests.length;
      if (argmax(off.slice(offset, offset + n)) !== argmax(on.slice(offset, offset + n))) changed++;
      offset += n;
    }
    console.log(`${workload.name}: ${workload.docs.length} docs, ${requests.length} choices; max |Δ| ${largest.toExponential(2)} nats per choice (${largestPerToken.toExponential(2)} per token), mean ${(sum / requests.length).toExponential(2)}; chosen answer changed in ${changed} of ${workload.docs.length} docs`);
  }
  await tokenizer.dispose();
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
