// `rakuten-eval run` as a library function: validate, plan, evaluate, write.

import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, accessSync, statSync, constants as fsConstants } from "node:fs";
import path from "node:path";
import type { Suite } from "./api/task.js";
import type { Backend, LoglikelihoodRequest, ResolvedGenerateRequest } from "./api/types.js";
import { UserError, UserErrors } from "./errors.js";
import { evaluate, planTasks, resolveGenerate, type PlannedTask, type SkippedTask, type TaskResult } from "./evaluator.js";
import { createLlamaBackend } from "./backend/llama/index.js";
import { inspectModelFile } from "./backend/modelFile.js";
import { CachingBackend, InterruptedError, type PhaseCounts } from "./backend/cachingBackend.js";
import { cacheDirProblem, defaultCacheDir, RequestCache } from "./cache/store.js";
import { buildResultsDocument, type ResultsDocument } from "./results/document.js";
import { assertValidResults } from "./results/validate.js";
import { selectTasks, type TaskSelection } from "./tasks/registry.js";
import { checkTaskNames, contextPlan } from "./validate.js";
import { ensureDatasets, offlineFromEnv } from "./datasets/pull.js";
import { packageRoot } from "./paths.js";
import { writeFileAtomic } from "./util/files.js";

export interface RunOptions {
  model: string;
  suite?: Suite | "all";
  tasks?: string[];
  shots?: number[];
  limit?: number;
  dataDir: string;
  outputDir?: string;
  threads?: number;
  /** llama.cpp sequences evaluated side by side (default "auto": 4 on a GPU, 2 on >4 CPU threads, else 1). */
  parallel?: number;
  contextSize?: number;
  batchSize?: number;
  kvCacheType?: "f16" | "f32";
  flashAttention?: boolean;
  gpu?: false | "auto" | "cuda" | "vulkan" | "metal";
  allowDatasetMismatch?: boolean;
  /**
   * Fetch the selected tasks' missing dataset files from their pinned official sources into
   * `dataDir` first (the default data folder). Off when the user names a --data-dir: a mirror
   * folder is used as it is and nothing touches the network.
   */
  pullMissingData?: boolean;
  /** Request cache folder (default `$XDG_CACHE_HOME/rakuten-eval` or `~/.cache/rakuten-eval`). */
  cacheDir?: string;
  /** Keep answers in memory only: nothing is read from or written to the cache. */
  noCache?: boolean;
  /** Stops the run: finished answers are kept, partial results written, `InterruptedError` thrown. */
  signal?: AbortSignal;
  /** Problems the command layer found in flags, listed with every other problem. */
  flagProblems?: UserError[];
  /** Progress lines (stderr); silent when absent. */
  log?: (line: string) => void;
  /** Warnings (a corrupt cache moved aside); `log` when absent. */
  warn?: (line: string) => void;
  /** Injected backend (tests); otherwise the llama.cpp backend is created. */
  backend?: Backend;
  /** A name for the run, recorded as rakuten_eval.label (compare and report show it). */
  label?: string;
}

export interface RunOutcome {
  doc: ResultsDocument;
  resultsPath: string;
  samplesPaths: string[];
  taskResults: TaskResult[];
  /** How each phase was answered: from the cache or computed. */
  cache: PhaseCounts[];
}

export function harnessInfo(): { name: string; version: string; git_commit: string | null } {
  const root = packageRoot();
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { name: string; version: string };
  const git = spawnSync("git", ["rev-parse", "HEAD"], { cwd: root, encoding: "utf8" });
  const commit = git.status === 0 ? git.stdout.trim() : null;
  return { name: pkg.name, version: pkg.version, git_commit: commit && /^[0-9a-f]{40}$/.test(commit) ? commit : null };
}

/** Default output folder: results/runs/<model file stem>, relative to the working directory. */
export function defaultOutputDir(model: string): string {
  return path.join("results", "runs", path.basename(model).replace(/\.gguf$/i, ""));
}

function checkOutputDir(dir: string): UserError | null {
  try {
    mkdirSync(dir, { recursive: true });
    accessSync(dir, fsConstants.W_OK);
    return null;
  } catch (e) {
    return new UserError("output", `Output directory ${dir} is not writable (${(e as NodeJS.ErrnoException).code ?? "error"}); pass --output with a writable folder.`);
  }
}

/** Everything wrong with the input, found without a model call; throws them all together. */
async function validateInput(options: RunOptions, outputDir: string): Promise<{ planned: PlannedTask[]; skipped: SkippedTask[] }> {
  const problems: UserError[] = [...(options.flagProblems ?? [])];
  const add = (e: unknown) => {
    if (e instanceof UserErrors) problems.push(...e.problems);
    else if (e instanceof UserError) problems.push(e);
    else throw e;
  };

  let selections: TaskSelection[] | undefined;
  const unknownTasks = options.tasks ? checkTaskNames(options.tasks) : [];
  problems.push(...unknownTasks);
  if (unknownTasks.length === 0) {
    try {
      selections = selectTasks({ suite: options.suite, tasks: options.tasks, shots: options.shots });
    } catch (e) {
      add(e);
    }
  }
  if (options.shots?.some((n) => !Number.isInteger(n) || n < 0)) {
    problems.push(new UserError("usage", `--shots ${options.shots.join(",")}: every value must be a whole number of at least 0.`));
  }
  if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 1)) {
    problems.push(new UserError("usage", `--limit ${options.limit} must be a whole number of at least 1 (the first N docs of each task's shuffled order).`));
  }

  if (!options.backend) {
    try {
      await inspectModelFile(options.model);
    } catch (e) {
      add(e);
    }
  }
  const outErr = checkOutputDir(outputDir);
  if (outErr) problems.push(outErr);
  if (!options.noCache) {
    const cacheDir = options.cacheDir ?? defaultCacheDir();
    const why = cacheDirProblem(cacheDir);
    if (why) problems.push(new UserError("usage", `Cache directory ${cacheDir} is not writable (${why}); pass --cache-dir with a writable folder, or --no-cache.`));
  }

  if (options.pullMissingData && selections) {
    mkdirSync(options.dataDir, { recursive: true });
    const refs = selections.flatMap(({ task, shots }) => [task.evalData, ...(task.fewshotData && shots > 0 && task.fewshot.kind !== "none" ? [task.fewshotData] : [])]);
    const report = await ensureDatasets(refs, { dataDir: options.dataDir, offline: offlineFromEnv(), progress: true, ...(options.log ? { log: options.log } : {}) });
    for (const f of report.files) if (f.state === "pulled" || f.state === "partial") options.log?.(`data: ${f.path} ${f.state} (${f.detail})`);
  }

  let dataDirOk = true;
  try {
    dataDirOk = statSync(options.dataDir).isDirectory();
  } catch {
    dataDirOk = false;
  }
  if (!dataDirOk) {
    problems.push(
      new UserError("dataset", `Data directory ${options.dataDir} (--data-dir) does not exist or is not a folder; pass the folder that holds the datasets (e.g. ../shared/datasets) or fill it with \`rakuten-eval datasets pull\`.`),
    );
  }

  let plan: { planned: PlannedTask[]; skipped: SkippedTask[] } = { planned: [], skipped: [] };
  if (selections && dataDirOk) {
    try {
      plan = await planTasks(selections, {
        dataDir: options.dataDir,
        ...(options.limit !== undefined && options.limit >= 1 ? { limit: options.limit } : {}),
        ...(options.allowDatasetMismatch ? { allowDatasetMismatch: true } : {}),
      });
      if (plan.planned.length === 0) {
        problems.push(
          new UserError("dataset", `No selected task has its data in ${options.dataDir}; pass --data-dir pointing at a folder laid out like the dataset manifests, or run \`rakuten-eval datasets pull\`.`),
        );
      }
    } catch (e) {
      add(e);
    }
  }
  if (problems.length > 0) throw problems.length === 1 ? problems[0]! : new UserErrors(problems);
  return plan;
}

/** The requests of the planned docs that the cache cannot answer (generate requests resolved). */
function unansweredRequests(planned: PlannedTask[], backend: CachingBackend): { loglikelihood: LoglikelihoodRequest[]; generate: ResolvedGenerateRequest[] } {
  const loglikelihood: LoglikelihoodRequest[] = [];
  const generate: ResolvedGenerateRequest[] = [];
  for (const p of planned) {
    for (const d of p.docs) {
      for (const r of d.requests) {
        if (r.type === "loglikelihood") {
          if (!backend.isAnswered(r)) loglikelihood.push(r);
        } else {
          const resolved = resolveGenerate(r, backend);
          if (!backend.isAnswered(resolved)) generate.push(resolved);
        }
      }
    }
  }
  return { loglikelihood, generate };
}

/** The planned docs whose every request has an answer (after an interrupt). */
function answeredDocs(planned: PlannedTask[], backend: CachingBackend): { done: PlannedTask[]; none: PlannedTask[] } {
  const done: PlannedTask[] = [];
  const none: PlannedTask[] = [];
  for (const p of planned) {
    const docs = p.docs.filter((d) => d.requests.every((r) => backend.isAnswered(r.type === "loglikelihood" ? r : resolveGenerate(r, backend))));
    if (docs.length > 0) done.push({ ...p, docs });
    else none.push(p);
  }
  return { done, none };
}

export async function runEvaluation(options: RunOptions): Promise<RunOutcome> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const warn = options.warn ?? log;
  const outputDir = options.outputDir ?? defaultOutputDir(options.model);
  const { planned, skipped } = await validateInput(options, outputDir);
  for (const s of skipped) log(`skip ${s.task.name}: ${s.reason}`);
  for (const p of planned) if (p.shotsNote) log(`note: ${p.shotsNote}`);
  if (options.signal?.aborted) throw new InterruptedError("interrupted before any request was scored; nothing was written.");

  const cache = options.noCache ? null : RequestCache.open(options.cacheDir ?? defaultCacheDir(), { warn });
  let inner: Backend | undefined;
  let interrupted = false;
  try {
    const modelSha256 = cache && !options.backend ? await cache.modelSha256(options.model) : undefined;
    inner =
      options.backend ??
      (await createLlamaBackend({
        modelPath: options.model,
        ...(modelSha256 !== undefined ? { modelSha256 } : {}),
        ...(options.threads !== undefined ? { threads: options.threads } : {}),
        ...(options.parallel !== undefined ? { sequences: options.parallel } : {}),
        ...(options.contextSize !== undefined ? { contextSize: options.contextSize } : {}),
        ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
        ...(options.kvCacheType !== undefined ? { kvCacheType: options.kvCacheType } : {}),
        ...(options.flashAttention !== undefined ? { flashAttention: options.flashAttention } : {}),
        ...(options.gpu !== undefined ? { gpu: options.gpu } : {}),
      }));
    const backend = new CachingBackend(inner, {
      store: cache,
      log,
      ...(options.signal ? { signal: options.signal } : {}),
    });

    // Context check, before any model call: only requests the cache cannot answer will run.
    const limits = backend.limits?.();
    if (limits !== undefined) {
      const { maxLength } = limits;
      const todo = unansweredRequests(planned, backend);
      const plan = contextPlan(backend, todo.loglikelihood, todo.generate, limits);
      if (plan.tooLong > 0) {
        throw new UserError(
          "model",
          options.contextSize !== undefined && options.contextSize < maxLength
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
    let lastPct = -1;
    const hooks = {
      onPhase: () => {
        lastPct = -1;
      },
      onProgress: (done: number, total: number) => {
        const pct = Math.floor((done / total) * 10) * 10;
        if (pct !== lastPct) {
          lastPct = pct;
          log(`  ${pct}% (${done}/${total})`);
        }
      },
    };
    let taskResults: TaskResult[];
    let allSkipped = skipped;
    const notes: string[] = [];
    try {
      taskResults = await evaluate(planned, backend, hooks);
    } catch (e) {
      if (!(e instanceof InterruptedError)) throw e;
      interrupted = true;
      // Score what finished: the docs whose every request has an answer, from the cache only.
      backend.answerOnlyFromCache();
      const { done, none } = answeredDocs(planned, backend);
      taskResults = done.length > 0 ? await evaluate(done, backend) : [];
      allSkipped = [...skipped, ...none.map((p) => ({ task: p.task, ...(p.group ? { group: p.group } : {}), shots: p.shots, reason: "interrupted before any of its docs was scored" }))];
      const finished = done.reduce((a, p) => a + p.docs.length, 0);
      notes.push(`interrupted: partial results, ${finished} of ${nDocs} docs scored; rerun the same command to finish`);
    }
    const doc = buildResultsDocument(taskResults, allSkipped, {
      engine: backend.describe(),
      harness: harnessInfo(),
      limit: options.limit ?? null,
      dataDir: options.dataDir,
      date: new Date(started).toISOString(),
      durationSeconds: (Date.now() - started) / 1000,
      complete: !interrupted,
      ...(notes.length > 0 ? { notes } : {}),
      ...(options.label ? { label: options.label } : {}),
    });
    assertValidResults(doc);
    const resultsPath = path.join(outputDir, "results.json");
    const samplesPaths: string[] = [];
    for (const r of taskResults) {
      const file = path.join(outputDir, `samples_${r.task.name}.jsonl`);
      writeFileAtomic(file, r.samples.map((s) => JSON.stringify({ task: r.task.name, ...s })).join("\n") + "\n");
      samplesPaths.push(file);
    }
    writeFileAtomic(resultsPath, JSON.stringify(doc, null, 2) + "\n");
    const counts = backend.phaseCounts().filter((c) => c.requests > 0);
    if (interrupted) {
      const finished = taskResults.reduce((a, r) => a + r.nEffective, 0);
      throw new InterruptedError(
        `partial results (${finished} of ${nDocs} docs) written to ${resultsPath} with rakuten_eval.complete false; ` +
          (cache ? `rerun the same command to resume: finished answers are in ${cache.file}.` : "nothing was kept for a resume (--no-cache)."),
      );
    }
    if (cache) {
      const reused = counts.reduce((a, c) => a + c.fromCache, 0);
      const computed = counts.reduce((a, c) => a + c.computed, 0);
      log(`cache: ${reused} answers reused, ${computed} computed and stored in ${cache.file}`);
    }
    return { doc, resultsPath, samplesPaths, taskResults, cache: counts };
  } finally {
    // After an interrupt the engine may still be busy with the abandoned chunk: the caller exits.
    if (inner && !options.backend && !interrupted) await inner.dispose();
    cache?.close();
  }
}
