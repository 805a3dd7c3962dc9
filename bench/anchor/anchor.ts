// `npm run bench -- --anchor`: rakuten-eval against llama.cpp's own scorer on the same
// model and the same requests. Builds `llama-perplexity` and `llama-bench` once from the
// llama.cpp source node-llama-cpp ships (llamaCppTools.ts), writes each multiple-choice
// workload in llama-perplexity's binary format (multipleChoiceFile.ts), and runs the two
// contenders as whole processes, interleaved A B A B A B. A timed run during which other
// processes used more than `--max-other-cpu` of the machine is thrown away and the round
// retried (at most `--retries` times); a ratio is printed only from clean rounds.
// `--allow-busy` (development only) prints the figures of busy rounds, marked as such.
// For scoring workloads every round also runs llama-bench right after our run, at pp512 and at
// the workload's own shape (scoringShape.ts), so our tokens/s is compared with llama.cpp's rate
// at the same moment: on this VM the engine's rate moves by a quarter within one sitting.
//
// Options: --docs N (JCommonsenseQA, default 200), --mmlu-docs N (per subject, 100),
// --mgsm-docs N (50; 0 skips generation), --rounds N (3), --threads N (2), --model PATH,
// --workloads jcqa,mmlu,mgsm, --sequences N, --flash-attention (both sides),
// --max-other-cpu F (0.03), --retries N (3), --allow-busy.
//
// Flash attention is set the same on both sides (`-fa off|on` for llama-perplexity), and
// every round also times llama-perplexity as a user gets it out of the box (no -fa: "auto",
// which turns flash attention on for a CPU): the figure a user compares us with.
// Both sides run node-llama-cpp's prebuilt kernels (llamaCppTools.ts); each side's CPU
// variant is printed and recorded.

import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { loadTokenizer } from "../../src/backend/llama/index.js";
import { cpuSample, otherCpuUse, type OtherCpuUse } from "./cpuGuard.js";
import { batchedBenchArgs, ceilingThreadCounts, medianRows, parseBatchedBench, type CeilingRow } from "./generationCeiling.js";
import { ensureLlamaCppTools, toolCpuVariant } from "./llamaCppTools.js";
import { median } from "./median.js";
import { benchRate, ceilingBenchArgs, roundRatios, scoringShape, type EvaluationShape } from "./scoringShape.js";
import { encodeMultipleChoice, perplexityTokens } from "./multipleChoiceFile.js";
import type { OurSideReport } from "./ourSide.js";
import { buildAnchorWorkload, type WorkloadName } from "./workloads.js";

interface TimedRun {
  wallMs: number;
  /** The libggml-cpu-<variant>.so the process had mapped (read from /proc while it ran). */
  cpuVariant: string | undefined;
  other: OtherCpuUse | undefined;
  stdout: string;
  stderr: string;
}

function timed(command: string, args: string[]): Promise<TimedRun> {
  return new Promise((resolve, reject) => {
    const before = cpuSample();
    const started = performance.now();
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    // llama-perplexity does not log which CPU variant ggml loaded: read the child's mappings.
    // ggml opens every variant for a moment to score it, so only a reading with exactly one
    // variant mapped counts, and the last such reading wins.
    let cpuVariant: string | undefined;
    const watch = setInterval(() => {
      try {
        const mapped = new Set(readFileSync(`/proc/${child.pid}/maps`, "utf8").match(/libggml-cpu-[A-Za-z0-9_]+\.so/g) ?? []);
        if (mapped.size === 1) cpuVariant = /libggml-cpu-([A-Za-z0-9_]+)\.so/.exec([...mapped][0]!)?.[1];
      } catch {
        // gone, or no /proc
      }
    }, 250);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.on("error", reject);
    child.on("close", (code) => {
      clearInterval(watch);
      const wallMs = performance.now() - started;
      const other = otherCpuUse(before, cpuSample());
      if (code !== 0) reject(new Error(`${path.basename(command)} exited with ${code}: ${stderr.trim().split("\n").slice(-3).join(" | ")}`));
      else resolve({ wallMs, cpuVariant: cpuVariant ?? toolCpuVariant(stderr), other, stdout, stderr });
    });
  });
}

function format(value: number, digits = 0): string {
  return value.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function busyNote(other: OtherCpuUse | undefined): string {
  return other === undefined ? "other CPU use unknown (no /proc)" : `other processes used ${format(100 * other.share, 1)}% of the CPUs`;
}

/** How a workload's evaluations run, in words. */
function shapeText(shape: EvaluationShape): string {
  return `${format(shape.evaluations)} evaluations, token-weighted mean ${shape.batchTokens} tokens each from a cache of ${shape.depth}`;
}

interface LlamaBenchRow {
  n_prompt: number;
  n_gen: number;
  flash_attn: boolean | number;
  avg_ts: number;
}

export async function runAnchor(argv: string[], modelPathFor: (given: string | undefined) => Promise<string>): Promise<void> {
  const { values } = parseArgs({
    args: argv,
    options: {
      docs: { type: "string", default: "200" },
      "mmlu-docs": { type: "string", default: "100" },
      "mgsm-docs": { type: "string", default: "50" },
      rounds: { type: "string", default: "3" },
      threads: { type: "string", default: "2" },
      model: { type: "string" },
      workloads: { type: "string", default: "jcqa,mmlu,mgsm" },
      sequences: { type: "string" },
      "flash-attention": { type: "boolean", default: false },
      "max-other-cpu": { type: "string", default: "0.03" },
      retries: { type: "string", default: "3" },
      "allow-busy": { type: "boolean", default: false },
    },
  });
  const root = process.cwd();
  const outDir = path.join(root, "bench/out");
  const anchorDir = path.join(outDir, "anchor");
  mkdirSync(anchorDir, { recursive: true });
  const threads = Number(values.threads);
  const rounds = Number(values.rounds);
  const maxOther = Number(values["max-other-cpu"]);
  const retries = Number(values.retries);
  const allowBusy = values["allow-busy"];
  const modelPath = await modelPathFor(values.model);
  const log = (line: string): void => console.log(line);
  const tools = ensureLlamaCppTools(root, outDir, log);
  log(`model: ${path.relative(root, modelPath)}; llama.cpp tools built from ${tools.release}, linked against ${tools.libraries} (${path.relative(root, tools.perplexity)})`);
  log(`threads ${threads}, ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? "?"}); a timed run counts only if other processes used ≤ ${format(100 * maxOther, 1)}% of the CPUs${allowBusy ? "; --allow-busy: busy rounds are shown, marked, NOT valid measurements" : ""}`);

  const accept = (other: OtherCpuUse | undefined): boolean => allowBusy || (other !== undefined && other.share <= maxOther);
  /** A run outside the timed rounds, retried while the machine is busy; undefined when it never was quiet. */
  const quietRun = async (label: string, command: string, args: string[]): Promise<TimedRun | undefined> => {
    for (let attempt = 0; attempt <= retries; attempt++) {
      const run = await timed(command, args);
      if (accept(run.other)) return run;
      log(`${label}: ${busyNote(run.other)}; ${attempt < retries ? "retrying" : "giving up"}`);
    }
    return undefined;
  };
  const modelBytes = statSync(modelPath).size;
  const mib = (bytes: number): string => `${format(bytes / 2 ** 20)} MiB`;

  // llama-bench: the engine's batch rate (pp512), small-batch rate (pp16) and generation rate.
  let tg128 = 0;
  const benchLines: string[] = [];
  for (let attempt = 0; attempt <= retries; attempt++) {
    const run = await timed(tools.bench, ["-m", modelPath, "-t", String(threads), "-p", "512,16", "-n", "128", "-fa", "0,1", "-r", "3", "-o", "json"]);
    const rows = JSON.parse(run.stdout) as LlamaBenchRow[];
    benchLines.length = 0;
    for (const row of rows) {
      const shape = row.n_prompt > 0 ? `pp${row.n_prompt}` : `tg${row.n_gen}`;
      benchLines.push(`${shape} fa ${row.flash_attn ? "on" : "off"}: ${format(row.avg_ts, 1)} tokens/s`);
      if (row.n_gen === 128 && !row.flash_attn) tg128 = row.avg_ts;
    }
    if (accept(run.other)) {
      if (run.other !== undefined && run.other.share > maxOther) benchLines.push(`(BUSY: ${busyNote(run.other)})`);
      break;
    }
    log(`llama-bench: ${busyNote(run.other)}; ${attempt < retries ? "retrying" : "giving up: figures below are from a busy machine"}`);
  }
  log(`\nllama-bench (same model, ${threads} threads): ${benchLines.join("; ")}`);

  const tokenizer = await loadTokenizer(modelPath);
  const record: Record<string, unknown>[] = [];
  try {
    for (const name of values.workloads.split(",").map((item) => item.trim()) as WorkloadName[]) {
      const docs = Number(name === "jcqa" ? values.docs : name === "mmlu" ? values["mmlu-docs"] : values["mgsm-docs"]);
      if (docs <= 0) continue;
      const workload = await buildAnchorWorkload(name, docs);
      const ours = ["dist/bench/anchor/ourSide.js", "--model", modelPath, "--workload", name, "--docs", String(docs), "--threads", String(threads)];
      if (values.sequences !== undefined) ours.push("--sequences", values.sequences);
      if (values["flash-attention"]) ours.push("--flash-attention");
      const hasAnchor = workload.questions.length > 0;
      const mcFile = path.join(anchorDir, `${name}-${docs}.mc.bin`);
      if (hasAnchor) writeFileSync(mcFile, encodeMultipleChoice(workload.questions));
      const theirTokens = hasAnchor ? perplexityTokens(workload.questions, (text) => [0, ...tokenizer.tokenize(text)]) : 0;
      // llama-perplexity puts a question's endings on parallel sequences and stops (exit 0, no
      // score) when -np is below a question's ending count: give it the largest count.
      const endings = Math.max(1, ...workload.questions.map((q) => q.continuations.length));
      const theirsDefault = ["-m", modelPath, "--multiple-choice", "-bf", mcFile, "-t", String(threads), "-c", "2048", "-b", "512", "-np", String(endings)];
      const theirs = [...theirsDefault, "-fa", values["flash-attention"] ? "on" : "off"];
      // Scoring workloads: llama.cpp's own prefill rates, measured in every round right after our
      // run, so that our tokens/s is compared with the engine's rate at that moment (on this VM
      // llama-bench's pp512 moved by a quarter within one sitting).
      const shape = workload.scoring.length > 0 ? scoringShape(workload.scoring, (text) => tokenizer.tokenize(text), tokenizer.eosId, tokenizer.trainContextSize) : undefined;
      const ceilingArgs = shape === undefined ? undefined : ceilingBenchArgs(modelPath, shape, threads, values["flash-attention"]);
      const clean: { ours: TimedRun; theirs?: TimedRun; theirsDefault?: TimedRun; report: OurSideReport; pp512?: number; shapeRate?: number }[] = [];
      let attempts = 0;
      while (clean.length < rounds && attempts < rounds + retries) {
        attempts++;
        const a = await timed(process.execPath, ours);
        const ceilingRuns = ceilingArgs === undefined ? undefined : { pp512: await timed(tools.bench, ceilingArgs.pp512), shape: await timed(tools.bench, ceilingArgs.shape) };
        const b = hasAnchor ? await timed(tools.perplexity, theirs) : undefined;
        const c = hasAnchor && !values["flash-attention"] ? await timed(tools.perplexity, theirsDefault) : undefined;
        // A run that printed no final score did not do the work: never time it as if it had.
        for (const run of [b, c]) {
          if (run && !/Final result/.test(run.stdout + run.stderr)) {
            throw new Error(`llama-perplexity printed no final result: ${(run.stdout + run.stderr).trim().split("\n").slice(-2).join(" | ")}`);
          }
        }
        const report = JSON.parse(a.stdout.trim().split("\n").pop()!) as OurSideReport;
        const ok = accept(a.other) && (b === undefined || accept(b.other)) && (c === undefined || accept(c.other));
        const ratio = b === undefined ? "" : `, ratio ${format(b.wallMs / a.wallMs, 2)}×${c ? `; against its default ${format(c.wallMs / a.wallMs, 2)}×` : ""}`;
        log(`${workload.label} round ${attempts}: rakuten-eval ${format(a.wallMs / 1000, 1)} s [${report.cpuVariant ?? "?"}; ${a.cpuVariant ?? "?"} mapped] (${busyNote(a.other)})${b ? `, llama-perplexity ${format(b.wallMs / 1000, 1)} s [${b.cpuVariant ?? "?"}] (${busyNote(b.other)})` : ""}${c ? `, llama-perplexity default ${format(c.wallMs / 1000, 1)} s (${busyNote(c.other)})` : ""}${ok ? ratio : ": thrown away, retrying"}`);
        // A ceiling measured on a busy machine is left out of that round (its ratio is not printed).
        const pp512Now = ceilingRuns !== undefined && accept(ceilingRuns.pp512.other) ? benchRate(ceilingRuns.pp512.stdout) : undefined;
        const shapeNow = ceilingRuns !== undefined && accept(ceilingRuns.shape.other) ? benchRate(ceilingRuns.shape.stdout) : undefined;
        if (ok) clean.push({ ours: a, ...(b ? { theirs: b } : {}), ...(c ? { theirsDefault: c } : {}), report, ...(pp512Now !== undefined ? { pp512: pp512Now } : {}), ...(shapeNow !== undefined ? { shapeRate: shapeNow } : {}) });
      }
      if (clean.length === 0) {
        log(`${workload.label}: no round ran on a quiet enough machine in ${attempts} tries; no ratio printed (stop other work, or --allow-busy for a development figure)`);
        continue;
      }
      const ourWall = median(clean.map((round) => round.ours.wallMs));
      const report = clean[0]!.report;
      log(`\n${workload.label}${clean.length < rounds ? ` (only ${clean.length} of ${rounds} rounds clean)` : ""}${allowBusy ? " [--allow-busy: development figures]" : ""}`);
      // Generated tokens are evaluated too (all but each generation's last) and are not in the
      // prompts' trie: compare the prompt tokens alone with the trie minimum.
      const generatedEvaluated = Math.max(0, report.generatedTokens - workload.generation.length);
      const promptEvaluated = report.tokensEvaluated - generatedEvaluated;
      log(`  rakuten-eval       wall ${format(ourWall / 1000, 1)} s (median of ${clean.length}), ${format(report.tokensEvaluated)} tokens evaluated (${generatedEvaluated > 0 ? `${format(promptEvaluated)} of prompts + ${format(generatedEvaluated)} generated; prompts ` : ""}trie minimum ${format(report.prefixTrieTokens)}, ${format(promptEvaluated / Math.max(1, report.prefixTrieTokens), 3)}×), ${format(report.tokensEvaluated / (ourWall / 1000), 1)} tokens/s, ${format(report.decodes)} decodes, ${report.sequences} sequences, flash attention ${report.flashAttention ? "on" : "off"}`);
      const entry: Record<string, unknown> = { workload: workload.label, rounds: clean.length, ourWallMs: ourWall, ours: report, busyAllowed: allowBusy };
      if (shape !== undefined) {
        // Per round: our tokens/s over our whole process ÷ llama-bench's rate measured right after it.
        const perRound = (rate: (round: (typeof clean)[number]) => number | undefined): number[] =>
          roundRatios(clean.map((round) => ({ tokens: round.report.tokensEvaluated, wallMs: round.ours.wallMs, ceiling: rate(round) })));
        const spread = (ratios: number[]): string => (ratios.length === 0 ? "not measured (busy)" : `${format(median(ratios), 2)}× median, ${format(Math.min(...ratios), 2)}–${format(Math.max(...ratios), 2)}× over ${ratios.length} round(s)`);
        const pp512Ratios = perRound((round) => round.pp512);
        const shapeRatios = perRound((round) => round.shapeRate);
        const rates = (pick: (round: (typeof clean)[number]) => number | undefined): string => clean.map((round) => (pick(round) === undefined ? "busy" : format(pick(round)!, 1))).join(" / ");
        log(`  tokens/s ÷ llama-bench pp512 (empty cache, measured after our run in each round: ${rates((round) => round.pp512)}): ${spread(pp512Ratios)} (target ≥ 0.9×)`);
        log(`  tokens/s ÷ llama-bench pp${shape.batchTokens} @ d${shape.depth}, this workload's shape (${shapeText(shape)}; per round ${rates((round) => round.shapeRate)}): ${spread(shapeRatios)}`);
        Object.assign(entry, { shape, pp512PerRound: clean.map((round) => round.pp512 ?? null), shapeRatePerRound: clean.map((round) => round.shapeRate ?? null), pp512Ratios, shapeRatios });
      }
      if (clean.every((round) => round.theirs !== undefined) && hasAnchor) {
        const theirWall = median(clean.map((round) => round.theirs!.wallMs));
        const ratios = clean.map((round) => round.theirs!.wallMs / round.ours.wallMs);
        log(`  llama-perplexity   wall ${format(theirWall / 1000, 1)} s (median), ${format(theirTokens)} tokens evaluated, ${format(theirTokens / (theirWall / 1000), 1)} tokens/s, flash attention ${values["flash-attention"] ? "on" : "off"} (-fa)`);
        log(`  ratio (llama-perplexity / rakuten-eval): ${format(median(ratios), 2)}× median, ${format(Math.min(...ratios), 2)}–${format(Math.max(...ratios), 2)}× over rounds`);
        const variants = { ours: report.cpuVariant ?? null, theirs: clean[0]!.theirs!.cpuVariant ?? null };
        log(`  CPU kernels: rakuten-eval libggml-cpu-${variants.ours ?? "?"}.so, llama-perplexity libggml-cpu-${variants.theirs ?? "?"}.so${variants.ours === variants.theirs ? " (the same)" : " (DIFFERENT: the ratio compares kernels too)"}`);
        Object.assign(entry, { theirWallMs: theirWall, theirTokens, ratios, theirFlashAttention: values["flash-attention"], cpuVariants: variants });
        if (clean.every((round) => round.theirsDefault !== undefined)) {
          const defaultWall = median(clean.map((round) => round.theirsDefault!.wallMs));
          const defaultRatios = clean.map((round) => round.theirsDefault!.wallMs / round.ours.wallMs);
          log(`  llama-perplexity, its own default (flash attention auto): wall ${format(defaultWall / 1000, 1)} s (median); ratio ${format(median(defaultRatios), 2)}× median, ${format(Math.min(...defaultRatios), 2)}–${format(Math.max(...defaultRatios), 2)}× over rounds`);
          Object.assign(entry, { theirDefaultWallMs: defaultWall, defaultRatios });
        }
      }
      const peakRss = Math.max(...clean.map((round) => round.report.peakRssBytes));
      log(`  peak RSS (timed rounds, largest): ${mib(peakRss)}; budget model file + 1 GiB = ${mib(modelBytes + 2 ** 30)}`);
      Object.assign(entry, { peakRssBytes: peakRss, modelBytes });
      // One more run, instrumented and untimed against the anchor: where the time went.
      const instrumented = await quietRun(`${workload.label} (instrumented run)`, process.execPath, [...ours, "--instrument"]);
      const detail = instrumented === undefined ? undefined : (JSON.parse(instrumented.stdout.trim().split("\n").pop()!) as OurSideReport);
      if (detail !== undefined && report.generatedTokens === 0) {
        const share = (detail.scoreExtractionMs ?? 0) / detail.wallMs;
        log(`  score extraction (instrumented run): ${format((detail.scoreExtractionMs ?? 0) / 1000, 2)} s = ${format(100 * share, 2)}% of its ${format(detail.wallMs / 1000, 1)} s wall (target ≤ 5%)`);
        Object.assign(entry, { scoreExtractionMs: detail.scoreExtractionMs, scoreExtractionShare: share });
      }
      if (report.generatedTokens > 0) {
        const rate = report.generatedTokens / (report.workMs / 1000);
        log(`  generation: ${format(report.generatedTokens)} tokens generated, ${format(rate, 1)} tokens/s over the work (prompts' prefill included, model load excluded); llama-bench tg128 (depth 0) ${format(tg128, 1)}`);
        Object.assign(entry, { generatedTokensPerSecond: rate, tg128 });
        const steps = detail?.generationSteps;
        const stepRate = steps !== undefined && steps.ms > 0 ? steps.count / (steps.ms / 1000) : undefined;
        if (stepRate !== undefined) log(`  generation steps (instrumented run, prefill excluded): ${format(stepRate, 1)} tokens/s over ${format(steps!.count)} steps on ${report.sequences} sequence(s)`);
        const promptTokens = Math.round(workload.generation.reduce((sum, request) => sum + tokenizer.tokenize(request.context).length, 0) / workload.generation.length);
        const generatedTokens = Math.max(1, Math.round(report.generatedTokens / workload.generation.length));
        const shape = { promptTokens, generatedTokens, threads, flashAttention: values["flash-attention"] };
        // As many runs as timed rounds, interleaved over the thread counts; each row is the median.
        const measured: CeilingRow[] = [];
        for (let round = 0; round < rounds; round++) {
          for (const count of ceilingThreadCounts(threads)) {
            const run = await quietRun(`llama-batched-bench (${count} thread${count > 1 ? "s" : ""})`, tools.batchedBench, batchedBenchArgs(modelPath, shape, count));
            if (run !== undefined) measured.push(...parseBatchedBench(run.stdout, count));
          }
        }
        const ceiling = medianRows(measured);
        if (ceiling.length > 0) {
          const fastest = (rows: CeilingRow[]): CeilingRow => rows.reduce((a, b) => (b.tokensPerSecond > a.tokensPerSecond ? b : a));
          const best = fastest(ceiling);
          // PARALLEL_SEQUENCES starts at 1, so every thread count has a single-sequence row.
          const single = fastest(ceiling.filter((row) => row.parallel === 1));
          log(`  ceiling, llama-batched-bench at this depth, median of ${rounds} runs (${promptTokens} prompt + ${generatedTokens} generated tokens, per-sequence caches): ${ceiling.map((row) => `${row.parallel} seq × ${row.threads} thr ${format(row.tokensPerSecond, 1)}`).join("; ")} tokens/s`);
          if (stepRate !== undefined) log(`  ours ÷ llama.cpp's best single sequence (${single.threads} thr): ${format(stepRate / single.tokensPerSecond, 2)}×; ÷ its best overall (${best.parallel} seq × ${best.threads} thr): ${format(stepRate / best.tokensPerSecond, 2)}×`);
          Object.assign(entry, { generationStepsPerSecond: stepRate, ceiling, ceilingShape: shape });
        }
      }
      record.push(entry);
    }
  } finally {
    await tokenizer.dispose();
  }
  const file = path.join(anchorDir, "latest.json");
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), llamaBench: benchLines, threads, results: record }, null, 2) + "\n");
  log(`\nwritten: ${path.relative(root, file)}`);
}
