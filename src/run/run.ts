// `rakuten-eval run` as a library function: validate, plan, evaluate, write.

import { oneLine } from "../util/oneLine.js";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { RunProgress } from "../api/progress.js";
import type { Backend } from "../api/types.js";
import { UserError } from "../util/errors.js";
import { evaluate, type TaskResult } from "../evaluation/evaluator.js";
import type { SkippedTask } from "../evaluation/taskPlan.js";
import { createLlamaBackend } from "../backend/llama/index.js";
import { createRemoteBackend } from "../backend/remote/index.js";
import { CachingBackend, type PhaseCounts } from "../backend/cachingBackend.js";
import { abortable, InterruptedError, interruptedReason, stopSignalOf } from "../backend/interruption.js";
import { defaultCacheDir } from "../cache/location.js";
import { RequestCache } from "../cache/store.js";
import { buildResultsDocument, type ResultsDocument } from "../results/document.js";
import { contextPlan } from "./validate.js";
import { validateInput, type RunInput } from "./runInput.js";
import { packageRoot } from "../util/paths.js";
import { removeStaleTemporaries } from "../util/publish.js";
import { runFolderOf, writeRunOutputs, type OutputFormat } from "./runOutput.js";
import { modelNameOf } from "../results/document.js";
import { sanitizeModelName } from "../results/layout.js";
import { selectShard, shardNote, type ShardSpec } from "../shard/shard.js";
import { partialResults, unansweredRequests } from "./runPartial.js";
import { ggufAgreementRecord, tokenizerAgreementLine } from "./tokenizerCheck.js";
import { prepareRunTokens } from "./tokenPreparation.js";

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

export function harnessInfo(): { name: string; version: string; git_commit: string | null } {
  const root = packageRoot();
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { name: string; version: string };
  const git = spawnSync("git", ["rev-parse", "HEAD"], { cwd: root, encoding: "utf8" });
  const commit = git.status === 0 ? git.stdout.trim() : null;
  return { name: pkg.name, version: pkg.version, git_commit: commit && /^[0-9a-f]{40}$/.test(commit) ? commit : null };
}

/** Default --output folder: results/runs (the run's files go to its <model name> folder), relative to the working directory. */
export function defaultOutputDir(): string {
  return path.join("results", "runs");
}

/** The EOS token's text, and its id when the text encodes to that one token (lm-eval's tokenizer_eos_token). */
function eosTokenOf(backend: { eosText(): string; tokenize(text: string): number[] }): { eosToken?: { text: string; id: number | null } } {
  try {
    const text = backend.eosText();
    const ids = backend.tokenize(text);
    return { eosToken: { text, id: ids.length === 1 ? ids[0]! : null } };
  } catch {
    return {};
  }
}

/**
 * One line per skipped task, for the terminal: the missing file relative to the working
 * directory, and each source's URL only the first time it is named.
 */
export function skipLines(skipped: SkippedTask[], cwd: string): string[] {
  const named = new Set<string>();
  return skipped.map((s) => {
    let reason = s.reason;
    if (s.file !== undefined && path.isAbsolute(s.file)) reason = reason.split(s.file).join(path.relative(cwd, s.file) || ".");
    if (s.source) {
      if (named.has(s.source.url)) reason = reason.replace(`, ${s.source.url})`, ", source above)");
      named.add(s.source.url);
    }
    return `skip ${s.task.name}: ${reason}`;
  });
}


export async function runEvaluation(options: RunOptions): Promise<RunOutcome> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const warn = options.warn ?? log;
  // lm-eval's layout: <output>/<model_name_sanitized>/results_<date>.json (src/results/layout.ts).
  const output = options.outputDir ?? defaultOutputDir();
  const outputDir = runFolderOf(output, sanitizeModelName(modelNameOf(options.model))).dir;
  // The --output folder is checked (and made) up front; the model folder is made when the run publishes.
  // A stop signal ends the checks at once (a dataset download may be under way): nothing is written yet.
  const input = await abortable(
    validateInput(options, path.extname(output) === ".json" ? path.dirname(output) : output),
    options.signal,
    "stopped while checking the input (or fetching datasets), before any model call; nothing was written.",
  );
  const { skipped, chat } = input;
  // A shard plans the whole run (same shuffle, same few-shot draws), then keeps its share.
  const shard = options.shard ? selectShard(input.planned, options.shard) : undefined;
  const planned = shard?.planned ?? input.planned;
  const formatSuite = options.format === "openllm-v1" ? "en" : options.format === "jp-stable" ? "ja" : null;
  if (formatSuite && !planned.some((p) => p.task.suite === formatSuite)) {
    throw new UserError("usage", `--format ${options.format} writes the ${formatSuite === "en" ? "English" : "Japanese"} suite's tasks, and none is selected; add --suite ${formatSuite} (or --suite all), or use --format lm-eval.`);
  }
  for (const line of skipLines(skipped, process.cwd())) warn(line);
  for (const p of planned) if (p.shotsNote) log(`note: ${p.shotsNote}`);
  // Temporary files of runs killed while publishing into this folder.
  removeStaleTemporaries(outputDir);
  if (options.signal?.aborted) throw new InterruptedError("stopped before any request was scored; nothing was written.", stopSignalOf(options.signal));

  const cache = options.noCache ? null : RequestCache.open(options.cacheDir ?? defaultCacheDir(), { warn });
  let inner: Backend | undefined;
  let interrupted = false;
  try {
    // Hashing a model file and loading it take seconds to minutes: a stop signal ends the wait
    // at once (the process exits; nothing was computed or written).
    const loading = "stopped while loading the model, before any request was scored; nothing was written.";
    const modelSha256 = cache && !options.backend && !options.remote ? await abortable(cache.modelSha256(options.model), options.signal, loading) : undefined;
    inner =
      options.backend ??
      (options.remote ? await abortable(createRemoteBackend({ ...options.remote, log }), options.signal, loading) : undefined) ??
      (await abortable(createLlamaBackend({
        modelPath: options.model,
        ...(modelSha256 !== undefined ? { modelSha256 } : {}),
        ...(options.threads !== undefined ? { threads: options.threads } : {}),
        ...(options.parallel !== undefined ? { sequences: options.parallel } : {}),
        ...(options.contextSize !== undefined ? { contextSize: options.contextSize } : {}),
        ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
        ...(options.kvCacheType !== undefined ? { kvCacheType: options.kvCacheType } : {}),
        ...(options.flashAttention !== undefined ? { flashAttention: options.flashAttention } : {}),
        ...(options.gpu !== undefined ? { gpu: options.gpu } : {}),
        ...(options.mmap !== undefined ? { mmap: options.mmap } : {}),
        ...(input.ownTokenizer ? { ownTokenizer: input.ownTokenizer } : {}),
        warn,
      }), options.signal, loading));
    // The model's own tokenizer beside a GGUF: how often llama.cpp's reading of the GGUF would have agreed.
    const tokenizerAgreement = input.ownTokenizer && !options.backend ? await ggufAgreementRecord(planned, options.model, input.ownTokenizer) : undefined;

    const backend = new CachingBackend(inner, {
      store: cache,
      log,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    // A server's own tokenizer (no --tokenizer): the ids of every text the run encodes, fetched once now.
    await abortable(prepareRunTokens(backend, planned, log), options.signal, "stopped while the server tokenized the requests, before any request was scored; nothing was written.");

    // Context check, before any model call: only requests the cache cannot answer will run.
    const limits = backend.limits?.();
    if (limits !== undefined) {
      const { maxLength } = limits;
      const todo = unansweredRequests(planned, backend);
      const plan = contextPlan(backend, todo.loglikelihood, todo.generate, limits);
      if (plan.tooLong > 0) {
        throw new UserError(
          "model",
          options.remote
            ? `${plan.tooLong} request(s) need up to ${plan.longest + 2} tokens on the server (input, scored token and one generated token), more than its max_model_len allows; start the server with a context of at least ${plan.longest + 2} tokens (vLLM --max-model-len, SGLang --context-length).`
            : options.contextSize !== undefined && options.contextSize < maxLength
            ? `--context-size ${options.contextSize} is too small: ${plan.tooLong} request(s) need up to ${plan.longest} tokens even after the reference's truncation to the model's ${maxLength}; raise --context-size to at least ${plan.longest}, or leave it out.`
            : `${plan.tooLong} generation request(s) ask for more tokens than ${path.basename(options.model)}'s ${maxLength}-token context holds; use a model with a longer context.`,
        );
      }
      if (plan.truncated > 0) {
        log(`note: ${plan.truncated} request(s) are longer than ${path.basename(options.model)}'s ${maxLength}-token context; their contexts are cut from the left, as the reference harness does.`);
      }
    }

    const nDocs = planned.reduce((a, p) => a + p.docs.length, 0);
    log(`evaluating ${planned.length} task(s), ${nDocs} docs`);
    let phase: RunProgress["phase"] = "loglikelihood";
    const engine = inner;
    let phases: NonNullable<RunProgress["upcoming"]> = [];
    const hooks = {
      onPlan: (plan: NonNullable<RunProgress["upcoming"]>) => {
        phases = plan;
      },
      onPhase: (name: string) => {
        phase = name === "generate" ? "generate" : "loglikelihood";
      },
      onProgress: (done: number, total: number, task?: string) => {
        const tokensEvaluated = engine.stats?.().tokensEvaluated;
        const at = phases.findIndex((p) => p.phase === phase);
        const upcoming = at < 0 ? [] : phases.slice(at + 1);
        options.onProgress?.({ phase, done, total, ...(task !== undefined ? { task } : {}), ...(tokensEvaluated !== undefined ? { tokensEvaluated } : {}), ...(upcoming.length > 0 ? { upcoming } : {}) });
      },
    };
    let taskResults: TaskResult[];
    let allSkipped = skipped;
    const notes: string[] = [];
    if (options.shard) notes.push(shardNote(options.shard, nDocs, input.planned.reduce((a, p) => a + p.docs.length, 0)));
    let stopped: { reason: string; error: unknown } | undefined;
    try {
      taskResults = await evaluate(planned, backend, hooks);
    } catch (e) {
      // Interrupted, or failed after work began (the engine, a task's metric): keep what finished.
      interrupted = e instanceof InterruptedError;
      const answers = backend.phaseCounts().reduce((a, c) => a + c.fromCache + c.computed, 0);
      if (answers === 0 && !interrupted) throw e;
      stopped = { reason: interrupted ? interruptedReason(stopSignalOf(options.signal)) : `failed: ${oneLine(e)}`, error: e };
      const partial = await partialResults(planned, backend);
      taskResults = partial.taskResults;
      allSkipped = [...skipped, ...partial.skipped];
      const finished = taskResults.reduce((a, r) => a + r.nEffective, 0);
      notes.push(
        interrupted
          ? `${stopped.reason}: partial results, ${finished} of ${nDocs} docs scored; rerun the same command to finish`
          : `${stopped.reason}: partial results, ${finished} of ${nDocs} docs scored; fix the cause and rerun the same command to finish`,
      );
    }
    const doc = buildResultsDocument(taskResults, allSkipped, {
      engine: backend.describe(),
      harness: harnessInfo(),
      limit: options.limit ?? null,
      dataDir: options.dataDir,
      date: new Date(started).toISOString(),
      durationSeconds: (Date.now() - started) / 1000,
      complete: stopped === undefined,
      ...(notes.length > 0 ? { notes } : {}),
      ...(options.label ? { label: options.label } : {}),
      ...eosTokenOf(backend),
      ...(tokenizerAgreement ? { tokenizerAgreement } : {}),
      modelName: modelNameOf(options.model),
      ...(chat ? { chat } : {}),
    });
    if (stopped) doc.rakuten_eval.incomplete_reason = stopped.reason;
    if (shard) doc.rakuten_eval.shard = shard.record;
    const { resultsPath, samplesPaths, formatPath } = await writeRunOutputs(output, doc, taskResults, options.format);
    const counts = backend.phaseCounts().filter((c) => c.requests > 0);
    const computed = counts.reduce((a, c) => a + c.computed, 0);
    const stored = counts.reduce((a, c) => a + c.stored, 0);
    const kept = cache
      ? `${stored} computed answer(s) stored in ${cache.file}${stored < computed ? ` (${computed - stored} could not be stored: see the warning above)` : ""}`
      : "nothing was kept for a resume (--no-cache)";
    if (stopped) {
      const finished = taskResults.reduce((a, r) => a + r.nEffective, 0);
      const written = `partial results (${finished} of ${nDocs} docs) written to ${resultsPath} with rakuten_eval.complete false`;
      if (interrupted) {
        throw new InterruptedError(
          `${written}; ` + (cache ? `rerun the same command to resume: finished answers are in ${cache.file}.` : "nothing was kept for a resume (--no-cache)."),
          stopSignalOf(options.signal),
        );
      }
      warn(`error after work began: ${written}; ${kept}.`);
      throw stopped.error;
    }
    if (cache) {
      const reused = counts.reduce((a, c) => a + c.fromCache, 0);
      log(
        stored === computed
          ? `cache: ${reused} answers reused, ${computed} computed and stored in ${cache.file}`
          : `cache: ${reused} answers reused, ${computed} computed, ${stored} of them stored in ${cache.file} (the cache failed: see the warning above)`,
      );
    }
    const tokensEvaluated = inner.stats?.().tokensEvaluated ?? null;
    return {
      doc,
      resultsPath,
      samplesPaths,
      ...(formatPath ? { formatPath } : {}),
      ...(tokenizerAgreement ? { tokenizerLine: tokenizerAgreementLine(tokenizerAgreement) } : {}),
      taskResults,
      cache: counts,
      tokensEvaluated,
      durationSeconds: (Date.now() - started) / 1000,
    };
  } finally {
    // After an interrupt the engine may still be busy with the abandoned chunk: the caller exits.
    if (inner && !options.backend && !interrupted) await inner.dispose();
    cache?.close();
  }
}
