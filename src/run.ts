// `rakuten-eval run` as a library function: validate, plan, evaluate, write.

import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, renameSync, writeFileSync, accessSync, constants as fsConstants } from "node:fs";
import path from "node:path";
import type { Suite } from "./api/task.js";
import type { Backend } from "./api/types.js";
import { UserError, UserErrors } from "./errors.js";
import { evaluate, planTasks, type TaskResult } from "./evaluator.js";
import { createLlamaBackend } from "./backend/llama.js";
import { inspectModelFile } from "./backend/modelFile.js";
import { buildResultsDocument, type ResultsDocument } from "./report/results.js";
import { assertValidResults } from "./report/validate.js";
import { selectTasks } from "./tasks/registry.js";
import { packageRoot } from "./paths.js";

export interface RunOptions {
  model: string;
  suite?: Suite | "all";
  tasks?: string[];
  shots?: number[];
  limit?: number;
  dataDir: string;
  outputDir?: string;
  threads?: number;
  contextSize?: number;
  batchSize?: number;
  kvCacheType?: "f16" | "f32";
  flashAttention?: boolean;
  gpu?: false | "auto" | "cuda" | "vulkan" | "metal";
  allowDatasetMismatch?: boolean;
  /** Progress lines (stderr); silent when absent. */
  log?: (line: string) => void;
  /** Injected backend (tests); otherwise the llama.cpp backend is created. */
  backend?: Backend;
}

export interface RunOutcome {
  doc: ResultsDocument;
  resultsPath: string;
  samplesPaths: string[];
  taskResults: TaskResult[];
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

/** Write to a temporary name and rename, so that a crash never leaves a half-written file. */
export function writeFileAtomic(file: string, content: string): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, content);
  renameSync(tmp, file);
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

export async function runEvaluation(options: RunOptions): Promise<RunOutcome> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const problems: UserError[] = [];
  const collect = <T>(f: () => T): T | undefined => {
    try {
      return f();
    } catch (e) {
      if (e instanceof UserErrors) problems.push(...e.problems);
      else if (e instanceof UserError) problems.push(e);
      else throw e;
      return undefined;
    }
  };
  const selections = collect(() => selectTasks({ suite: options.suite, tasks: options.tasks, shots: options.shots })) ?? [];
  let modelInfo: Awaited<ReturnType<typeof inspectModelFile>> | undefined;
  if (!options.backend) {
    try {
      modelInfo = await inspectModelFile(options.model);
    } catch (e) {
      if (e instanceof UserError) problems.push(e);
      else throw e;
    }
  }
  const outputDir = options.outputDir ?? defaultOutputDir(options.model);
  const outErr = checkOutputDir(outputDir);
  if (outErr) problems.push(outErr);
  if (problems.length > 0) throw problems.length === 1 ? problems[0]! : new UserErrors(problems);

  const { planned, skipped } = await planTasks(selections, {
    dataDir: options.dataDir,
    ...(options.limit !== undefined ? { limit: options.limit } : {}),
    ...(options.allowDatasetMismatch ? { allowDatasetMismatch: true } : {}),
  });
  for (const s of skipped) log(`skip ${s.task.name}: ${s.reason}`);
  for (const p of planned) if (p.shotsNote) log(`note: ${p.shotsNote}`);
  if (planned.length === 0) {
    throw new UserError("dataset", `No selected task has its data in ${options.dataDir}; pass --data-dir pointing at a folder laid out like the dataset manifests.`);
  }

  const backend =
    options.backend ??
    (await createLlamaBackend({
      modelPath: options.model,
      ...(options.threads !== undefined ? { threads: options.threads } : {}),
      ...(options.contextSize !== undefined ? { contextSize: options.contextSize } : {}),
      ...(options.batchSize !== undefined ? { batchSize: options.batchSize } : {}),
      ...(options.kvCacheType !== undefined ? { kvCacheType: options.kvCacheType } : {}),
      ...(options.flashAttention !== undefined ? { flashAttention: options.flashAttention } : {}),
      ...(options.gpu !== undefined ? { gpu: options.gpu } : {}),
    }));
  void modelInfo;
  try {
    const nDocs = planned.reduce((a, p) => a + p.docs.length, 0);
    log(`evaluating ${planned.length} task(s), ${nDocs} docs`);
    let lastPct = -1;
    const taskResults = await evaluate(planned, backend, {
      onPhase: (phase, total) => {
        lastPct = -1;
        if (total > 0) log(`${phase}: ${total} requests`);
      },
      onProgress: (done, total) => {
        const pct = Math.floor((done / total) * 10) * 10;
        if (pct !== lastPct) {
          lastPct = pct;
          log(`  ${pct}% (${done}/${total})`);
        }
      },
    });
    const doc = buildResultsDocument(taskResults, skipped, {
      engine: backend.describe(),
      harness: harnessInfo(),
      limit: options.limit ?? null,
      dataDir: options.dataDir,
      date: new Date(started).toISOString(),
      durationSeconds: (Date.now() - started) / 1000,
      complete: true,
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
    return { doc, resultsPath, samplesPaths, taskResults };
  } finally {
    if (!options.backend) await backend.dispose();
  }
}
