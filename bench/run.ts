// `npm run bench`: how fast the llama backend scores real workloads, against what the
// engine alone needs for the same work.
//
// Workloads (requests built by the project's own evaluator from ../shared/datasets):
// JCommonsenseQA 3-shot on 200 docs and MMLU 5-shot on 3 subjects × 100 docs. The model is
// a deterministic synthetic GGUF (about 130M parameters, Q8_0, llama architecture, the 48.6K
// llm-jp vocabulary), written to bench/out/ on first use and reused afterwards.
//
// For each workload it prints and writes to bench/out/ (JSON, for comparing runs):
// - wall time of backend.loglikelihood();
// - naive tokens: the requests' tokens when each is evaluated alone;
// - tokens the backend evaluated, and the prefix-trie minimum (computed here, independently);
// - evaluated tokens per second, and the ceiling: the same engine (node-llama-cpp, same
//   settings, same process) evaluating the prefix trie of the same requests with no scores
//   read, i.e. the forward passes the work needs and nothing else (run right before the
//   harness, so both see the same load; CPU-time ratios are printed as well);
// - time spent extracting scores (from the backend's counters); peak RSS.
//
// Options: --threads N (default 2), --docs N (JCommonsenseQA docs, default 200),
// --mmlu-docs N (per subject, default 100), --sequences N (default: the backend's choice),
// --model PATH (another GGUF instead of the synthetic one), --shape 130m|7b (the synthetic
// model's shape: 7b is RakutenAI-7B's, a 7.7 GB file written on first use; it implies
// --no-ceiling, so that the peak RSS is the harness's), --mmap auto|on|off, --no-ceiling,
// --count-only (token counts without evaluating anything).
//
// `--tokenizers` instead measures how often each tokenizer path agrees with SentencePiece
// (tokenizerAgreement.ts).
// `--anchor` instead runs rakuten-eval against llama.cpp's own llama-perplexity and
// llama-bench (see anchor/anchor.ts for its options).

import { mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { getLlama, LlamaLogLevel, type Token } from "node-llama-cpp";
import type { Backend, BackendStats, LoglikelihoodRequest } from "../src/api/types.js";
import { createLlamaBackend } from "../src/backend/llama/index.js";
import { inspectModelFile } from "../src/backend/modelFile.js";
import type { MmapSetting } from "../src/backend/llama/cpuVariant.js";
import { sha256File } from "../src/util/files.js";
import { encodePair, separatePair, truncateLeft } from "../src/backend/tokenization.js";
import { planTask } from "../src/evaluation/taskPlan.js";
import { findTask } from "../src/tasks/registry.js";
import { runAnchor } from "./anchor/anchor.js";
import { runTokenizerAgreement, runTokenizerCost } from "./tokenizerAgreement.js";
import { SYNTHETIC_SHAPES, writeSyntheticGguf, type SyntheticModelShape } from "./syntheticGguf.js";

const ROOT = process.cwd();
const OUT_DIR = path.resolve(ROOT, "bench/out");
const DATA_DIR = path.resolve(ROOT, "../shared/datasets");
const VOCAB_PATH = path.resolve(ROOT, "../shared/models/vocab/llm-jp-v2.2-vocab.gguf");
const MMLU_SUBJECTS = ["abstract_algebra", "anatomy", "astronomy"];

interface Workload {
  name: string;
  requests: LoglikelihoodRequest[];
  docs: number;
}

interface WorkloadResult {
  name: string;
  docs: number;
  requests: number;
  wallMs: number;
  naiveTokens: number;
  tokensEvaluated: number;
  prefixTrieTokens: number;
  backendPrefixTrieTokens: number;
  evaluatedPerTrie: number;
  naivePerEvaluated: number;
  tokensPerSecond: number;
  ceiling?: { tokens: number; ms: number; cpuMs: number; tokensPerSecond: number; engineMsForEvaluated: number; wallPerEngine: number; cpuPerEngineCpu: number };
  /** CPU time of the process (all threads) during the harness run. */
  cpuMs: number;
  scoredPositions: number;
  /** llama_decode calls (several sequences merged into one count once). */
  decodes: number;
  scoreExtractionMs: number;
  scoreExtractionShare: number;
  peakRssBytes: number;
}

function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

/** Each request's input tokens as the reference harnesses build them (tokenization.ts is the spec's rules). */
function requestInputs(backend: Backend, requests: LoglikelihoodRequest[], eosId: number, maxLength: number): number[][] {
  const encode = (text: string) => backend.tokenize(text);
  return requests.map((request) => {
    const pair = request.tokenization === "encode_pair"
      ? encodePair(request.context, request.continuation, encode, eosId)
      : separatePair(request.context, request.continuation, encode, eosId);
    return truncateLeft(pair.contextTokens, pair.continuationTokens, maxLength).inputTokens;
  });
}

function lexicographic(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

function commonPrefix(a: number[], b: number[]): number {
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a[i] === b[i]) i++;
  return i;
}

/** The inputs in trie (depth-first) order with each one's common prefix with the previous: Σ(len − shared) = trie nodes. */
function triePlan(inputs: number[][]): { sorted: number[][]; shared: number[]; nodes: number } {
  const sorted = [...inputs].sort(lexicographic);
  const shared = sorted.map((input, k) => (k === 0 ? 0 : commonPrefix(sorted[k - 1]!, input)));
  const nodes = sorted.reduce((sum, input, k) => sum + input.length - shared[k]!, 0);
  return { sorted, shared, nodes };
}

async function buildWorkloads(jcqaDocs: number, mmluDocs: number): Promise<Workload[]> {
  const jcqa = jcqaDocs > 0 ? await planTask({ task: findTask("jcommonsenseqa-1.1-0.3"), shots: 3 }, { dataDir: DATA_DIR, limit: jcqaDocs }) : { docs: [] };
  const mmluRequests: LoglikelihoodRequest[] = [];
  let mmluDocCount = 0;
  // 0 docs leaves a workload out (a limit of 0 would mean no limit to planTask).
  for (const subject of mmluDocs > 0 ? MMLU_SUBJECTS : []) {
    const plan = await planTask({ task: findTask(`hendrycksTest-${subject}`), shots: 5 }, { dataDir: DATA_DIR, limit: mmluDocs });
    mmluDocCount += plan.docs.length;
    for (const doc of plan.docs) for (const request of doc.requests) if (request.type === "loglikelihood") mmluRequests.push(request);
  }
  const jcqaRequests = jcqa.docs.flatMap((doc) => doc.requests.filter((r): r is LoglikelihoodRequest => r.type === "loglikelihood"));
  return [
    { name: `jcommonsenseqa-1.1-0.3 3-shot`, requests: jcqaRequests, docs: jcqa.docs.length },
    { name: `mmlu 5-shot (${MMLU_SUBJECTS.join(", ")})`, requests: mmluRequests, docs: mmluDocCount },
  ].filter((workload) => workload.docs > 0);
}

/** The engine alone on the trie plan: erase back to the shared prefix, evaluate the rest, read nothing. */
async function measureCeiling(modelPath: string, threads: number, plan: { sorted: number[][]; shared: number[] }): Promise<{ tokens: number; ms: number; cpuMs: number }> {
  const llama = await getLlama({ gpu: false, build: "never", maxThreads: threads, logLevel: LlamaLogLevel.error });
  const model = await llama.loadModel({ modelPath, gpuLayers: 0 });
  const longest = plan.sorted.reduce((max, input) => Math.max(max, input.length), 0);
  const context = await model.createContext({
    contextSize: Math.ceil((longest + 2) / 256) * 256,
    batchSize: 512,
    threads,
    sequences: 1,
    flashAttention: false,
    experimentalKvCacheKeyType: "F16",
    experimentalKvCacheValueType: "F16",
  });
  const sequence = context.getSequence();
  let tokens = 0;
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  for (let k = 0; k < plan.sorted.length; k++) {
    const input = plan.sorted[k]!;
    const keep = plan.shared[k]!;
    if (keep === input.length) continue;
    if (keep === 0) await sequence.clearHistory();
    else if (keep < sequence.nextTokenIndex) await sequence.eraseContextTokenRanges([{ start: keep, end: sequence.nextTokenIndex }]);
    await sequence.controlledEvaluate(input.slice(keep) as Token[]);
    tokens += input.length - keep;
  }
  const ms = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  await context.dispose();
  await model.dispose();
  await llama.dispose();
  return { tokens, ms, cpuMs: (cpu.user + cpu.system) / 1000 };
}

function difference(after: BackendStats, before: BackendStats): BackendStats {
  const out = { ...after };
  for (const key of Object.keys(after) as (keyof BackendStats)[]) {
    if (key === "sequences") continue;
    if (key === "generationSteps") {
      const [a, b] = [after.generationSteps, before.generationSteps];
      if (a !== undefined) out.generationSteps = { count: a.count - (b?.count ?? 0), ms: a.ms - (b?.ms ?? 0) };
      continue;
    }
    out[key] = (after[key] ?? 0) - (before[key] ?? 0);
  }
  return out;
}

function format(value: number, digits = 0): string {
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

/** `--shape NAME` (default 130m): the synthetic model's shape and file. */
function syntheticChoice(): { shape: SyntheticModelShape; path: string } {
  const at = process.argv.indexOf("--shape");
  const name = at >= 0 ? process.argv[at + 1] ?? "" : "130m";
  const choice = SYNTHETIC_SHAPES[name];
  if (choice === undefined) throw new Error(`--shape must be one of ${Object.keys(SYNTHETIC_SHAPES).join(", ")}, got "${name}"`);
  return { shape: choice.shape, path: path.join(OUT_DIR, choice.file) };
}

/** The given model, or the synthetic benchmark model of `--shape`, written on first use. */
async function benchModelPath(given: string | undefined): Promise<string> {
  if (given !== undefined) return path.resolve(given);
  const { shape, path: file } = syntheticChoice();
  return writeSyntheticGguf(file, VOCAB_PATH, shape).path;
}

/** `--limit N` and `--suite ja|en` of the tokenizer benches. */
function tokenizerBenchArgs(argv: readonly string[]): { limit: number | undefined; suites: ("ja" | "en")[] | undefined } {
  const limitAt = argv.indexOf("--limit");
  const suite = argv.indexOf("--suite") >= 0 ? argv[argv.indexOf("--suite") + 1] : undefined;
  return { limit: limitAt >= 0 ? Number(argv[limitAt + 1]) : undefined, suites: suite === "ja" || suite === "en" ? [suite] : undefined };
}

async function main(): Promise<void> {
  if (process.argv.includes("--tokenizer-cost") || process.argv.includes("--tokenizers")) {
    const { limit, suites } = tokenizerBenchArgs(process.argv);
    await (process.argv.includes("--tokenizer-cost") ? runTokenizerCost : runTokenizerAgreement)(limit, suites);
    return;
  }
  if (process.argv.includes("--anchor")) {
    const argv = process.argv.slice(2);
    const shapeAt = argv.indexOf("--shape");
    if (shapeAt >= 0) argv.splice(shapeAt, 2);
    await runAnchor(argv.filter((arg) => arg !== "--anchor"), benchModelPath);
    return;
  }
  const { values } = parseArgs({
    options: {
      threads: { type: "string", default: "2" },
      docs: { type: "string", default: "200" },
      "mmlu-docs": { type: "string", default: "100" },
      sequences: { type: "string" },
      model: { type: "string" },
      "no-ceiling": { type: "boolean", default: false },
      "count-only": { type: "boolean", default: false },
      shape: { type: "string", default: "130m" },
      mmap: { type: "string", default: "auto" },
    },
  });
  // The 7B shape measures memory: the ceiling would load a second copy of the model into this
  // process and spoil the peak, so it is left out there.
  const noCeiling = values["no-ceiling"] || values.shape === "7b";
  const threads = Number(values.threads);
  const sequences = values.sequences === undefined ? undefined : Number(values.sequences);
  mkdirSync(OUT_DIR, { recursive: true });

  let modelPath = path.resolve(values.model ?? ".");
  let modelNote = "given";
  if (values.model === undefined) {
    const started = performance.now();
    const synthetic = syntheticChoice();
    const written = writeSyntheticGguf(synthetic.path, VOCAB_PATH, synthetic.shape);
    modelNote = `synthetic, ${format(written.parameters / 1e6, 1)}M parameters, Q8_0, llm-jp 48.6K vocabulary, ${written.reused ? "reused" : `written in ${format((performance.now() - started) / 1000, 1)} s`}`;
    modelPath = written.path;
  }
  const { size: modelBytes } = await import("node:fs").then((fs) => fs.statSync(modelPath));
  console.log(`model: ${path.relative(ROOT, modelPath)} (${modelNote}; ${format(modelBytes / 2 ** 20, 1)} MiB)`);
  console.log(`threads ${threads}, machine: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}), load average ${os.loadavg().map((x) => x.toFixed(2)).join(" ")}`);

  const workloads = await buildWorkloads(Number(values.docs), Number(values["mmlu-docs"]));
  // What a first run pays before any work: hashing the model file (the cache's key) and loading it.
  const hashStarted = performance.now();
  const modelSha256 = await sha256File(modelPath);
  const hashMs = performance.now() - hashStarted;
  const rssBeforeLoad = peakRssBytes();
  const loadStarted = performance.now();
  // Instrumented: the timings below (score extraction) cost production runs nothing.
  const backend = await createLlamaBackend({ modelPath, threads, modelSha256, instrument: true, mmap: values.mmap as MmapSetting, ...(sequences !== undefined ? { sequences } : {}) });
  const loadMs = performance.now() - loadStarted;
  const description = backend.describe();
  const peakAfterLoad = peakRssBytes();
  console.log(`CPU kernels: libggml-cpu-${String(description["cpuVariant"] ?? "?")}.so; weights ${description["mmap"] ? "memory-mapped" : "read into memory"} (--mmap ${values.mmap})`);
  console.log(`first run: hashing the model file ${format(hashMs / 1000, 1)} s (${format(modelBytes / 2 ** 20 / (hashMs / 1000), 0)} MiB/s); loading it ${format(loadMs / 1000, 1)} s; peak RSS after the load ${format(peakAfterLoad / 2 ** 20, 0)} MiB (before it ${format(rssBeforeLoad / 2 ** 20, 0)} MiB)`);
  const eosId = (await inspectModelFile(modelPath)).eosId ?? 2;
  const maxLength = Number(description.maxLength);

  const plans = workloads.map((workload) => triePlan(requestInputs(backend, workload.requests, eosId, maxLength)));
  if (values["count-only"]) {
    workloads.forEach((workload, index) => {
      const plan = plans[index]!;
      console.log(`${workload.name}: ${workload.requests.length} requests, naive ${plan.sorted.reduce((sum, input) => sum + input.length, 0)} tokens, trie ${plan.nodes}`);
    });
    await backend.dispose();
    return;
  }
  const results: WorkloadResult[] = [];
  for (const [index, workload] of workloads.entries()) {
    const plan = plans[index]!;
    // The ceiling runs right before the harness on the same work, so that both see about the
    // same load from whatever else runs on the machine (on a shared 2-core machine that
    // matters more than anything measured here).
    const ceiling = noCeiling ? undefined : await measureCeiling(modelPath, threads, plan);
    const before = backend.stats!();
    const cpuBefore = process.cpuUsage();
    const started = performance.now();
    await backend.loglikelihood(workload.requests);
    const wallMs = performance.now() - started;
    const cpu = process.cpuUsage(cpuBefore);
    const cpuMs = (cpu.user + cpu.system) / 1000;
    const work = difference(backend.stats!(), before);
    const naiveTokens = plan.sorted.reduce((sum, input) => sum + input.length, 0);
    results.push({
      name: workload.name,
      docs: workload.docs,
      requests: workload.requests.length,
      wallMs,
      naiveTokens,
      tokensEvaluated: work.tokensEvaluated,
      prefixTrieTokens: plan.nodes,
      backendPrefixTrieTokens: work.prefixTrieTokens,
      evaluatedPerTrie: work.tokensEvaluated / plan.nodes,
      naivePerEvaluated: naiveTokens / work.tokensEvaluated,
      tokensPerSecond: work.tokensEvaluated / (wallMs / 1000),
      scoredPositions: work.scoredPositions,
      decodes: work.decodes ?? 0,
      scoreExtractionMs: work.scoreExtractionMs,
      scoreExtractionShare: work.scoreExtractionMs / wallMs,
      peakRssBytes: peakRssBytes(),
      cpuMs,
    });
    const result = results[results.length - 1]!;
    if (ceiling !== undefined) {
      const tokensPerSecond = ceiling.tokens / (ceiling.ms / 1000);
      const engineMsForEvaluated = (result.tokensEvaluated / tokensPerSecond) * 1000;
      result.ceiling = {
        ...ceiling,
        tokensPerSecond,
        engineMsForEvaluated,
        wallPerEngine: result.wallMs / engineMsForEvaluated,
        cpuPerEngineCpu: cpuMs / ((ceiling.cpuMs * result.tokensEvaluated) / ceiling.tokens),
      };
    }
    console.log(`${workload.name}: ${format(wallMs / 1000, 1)} s`);
  }
  // The ceiling loads the model a second time, so the peak includes it; the harness alone needs less.
  const harnessPeakRss = peakRssBytes();
  await backend.dispose();

  const rows: [string, (r: WorkloadResult) => string][] = [
    ["docs / requests", (r) => `${r.docs} / ${r.requests}`],
    ["wall time", (r) => `${format(r.wallMs / 1000, 1)} s`],
    ["naive tokens (each request alone)", (r) => format(r.naiveTokens)],
    ["tokens evaluated", (r) => `${format(r.tokensEvaluated)} (${format(r.naivePerEvaluated, 1)}× under naive)`],
    ["prefix-trie minimum", (r) => `${format(r.prefixTrieTokens)} (evaluated/min ${format(r.evaluatedPerTrie, 3)})`],
    ["evaluated tokens/s", (r) => format(r.tokensPerSecond, 1)],
    ["decodes (merged across sequences)", (r) => `${format(r.decodes)} (${format(r.tokensEvaluated / Math.max(1, r.decodes), 1)} tokens each)`],
    ["engine-only rate on the same trie (ceiling)", (r) => (r.ceiling ? `${format(r.ceiling.tokensPerSecond, 1)} tokens/s` : "not measured")],
    ["wall / (evaluated ÷ ceiling rate)", (r) => (r.ceiling ? format(r.ceiling.wallPerEngine, 3) : "–")],
    ["same ratio in CPU time", (r) => (r.ceiling ? format(r.ceiling.cpuPerEngineCpu, 3) : "–")],
    ["score extraction", (r) => `${format(r.scoreExtractionMs, 0)} ms (${format(100 * r.scoreExtractionShare, 2)}% of wall, ${format(r.scoredPositions)} positions)`],
    ["peak RSS (process so far, ceiling's model load included)", (r) => `${format(r.peakRssBytes / 2 ** 20, 0)} MiB`],
  ];
  for (const result of results) {
    console.log(`\n${result.name}`);
    for (const [label, render] of rows) console.log(`  ${label.padEnd(58)} ${render(result)}`);
  }
  const budget = modelBytes + 1.5 * 2 ** 30;
  const within = harnessPeakRss <= budget ? "within" : "OVER";
  console.log(`\npeak RSS ${format(harnessPeakRss / 2 ** 20, 0)} MiB = model file + ${format((harnessPeakRss - modelBytes) / 2 ** 20, 0)} MiB; budget (model file + 1.5 GiB) ${format(budget / 2 ** 20, 0)} MiB: ${within}${noCeiling ? "" : " (the ceiling's second model load is included: --no-ceiling for the harness alone)"}`);
  for (const result of results) console.log(`${result.name}: ${format(result.tokensPerSecond, 1)} evaluated tokens/s`);

  const record = {
    date: new Date().toISOString(),
    machine: { cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, loadAverageAtStart: os.loadavg(), node: process.version },
    options: { threads, sequences: description.sequences, jcqaDocs: Number(values.docs), mmluDocsPerSubject: Number(values["mmlu-docs"]) },
    model: { path: path.relative(ROOT, modelPath), bytes: modelBytes, note: modelNote },
    backend: description,
    firstRun: { hashMs, loadMs, peakRssAfterLoadBytes: peakAfterLoad, mmap: values.mmap },
    peakRssBytes: harnessPeakRss,
    results,
  };
  const stamp = record.date.replace(/[:.]/g, "-");
  writeFileSync(path.join(OUT_DIR, `bench-${stamp}.json`), JSON.stringify(record, null, 2) + "\n");
  writeFileSync(path.join(OUT_DIR, "latest.json"), JSON.stringify(record, null, 2) + "\n");
  console.log(`\nwritten: ${path.relative(ROOT, path.join(OUT_DIR, `bench-${stamp}.json`))}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : String(error));
  process.exitCode = 1;
});
