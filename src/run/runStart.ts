// A run's first phases, before the cache or the model is opened: the input checks, the shard's
// share of the plan, the --format check, what the plan tells the user, and the output folder's
// leftovers. Nothing is scored or written here.

import path from "node:path";
import { UserError } from "../util/errors.js";
import { removeStaleTemporaries } from "../util/publish.js";
import { abortable, InterruptedError, stopSignalOf } from "../backend/interruption.js";
import type { PlannedTask, SkippedTask } from "../evaluation/taskPlan.js";
import { modelNameOf } from "../results/document.js";
import { sanitizeModelName } from "../results/layout.js";
import { selectShard, type ShardRecord, type ShardSpec } from "../shard/shard.js";
import { validateInput } from "./runInput.js";
import { runFolderOf, type OutputFormat } from "./runOutput.js";
import type { RunOptions } from "./runOptions.js";

/** The checked input: the plan, skipped tasks, chat settings and the model's own tokenizer. */
export type CheckedInput = Awaited<ReturnType<typeof validateInput>>;

/** Default --output folder: results/runs (the run's files go to its <model name> folder), relative to the working directory. */
export function defaultOutputDir(): string {
  return path.join("results", "runs");
}

/** Every input problem, before any work; where the run will write (`output` as given, `outputDir` its model folder). */
export async function checkInput(options: RunOptions): Promise<{ output: string; outputDir: string; input: CheckedInput }> {
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
  return { output, outputDir, input };
}

/** The tasks this run scores: the whole plan, or with `--shard` its share and the shard's record. */
export function planShard(planned: PlannedTask[], spec: ShardSpec | undefined): { planned: PlannedTask[]; shardRecord?: ShardRecord } {
  // A shard plans the whole run (same shuffle, same few-shot draws), then keeps its share.
  if (!spec) return { planned };
  const shard = selectShard(planned, spec);
  return { planned: shard.planned, shardRecord: shard.record };
}

/** `--format openllm-v1|jp-stable` needs a task of its suite among those run. */
export function checkFormatSelected(planned: readonly PlannedTask[], format: OutputFormat | undefined): void {
  const formatSuite = format === "openllm-v1" ? "en" : format === "jp-stable" ? "ja" : null;
  if (formatSuite && !planned.some((p) => p.task.suite === formatSuite)) {
    throw new UserError("usage", `--format ${format} writes the ${formatSuite === "en" ? "English" : "Japanese"} suite's tasks, and none is selected; add --suite ${formatSuite} (or --suite all), or use --format lm-eval.`);
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

/** The skipped tasks (warnings) and the shot-count notes of the tasks run. */
export function announcePlan(skipped: SkippedTask[], planned: readonly PlannedTask[], log: (line: string) => void, warn: (line: string) => void): void {
  for (const line of skipLines(skipped, process.cwd())) warn(line);
  for (const p of planned) if (p.shotsNote) log(`note: ${p.shotsNote}`);
}

/** Removes temporary files of runs killed while publishing into `outputDir`; a stop before this point ends the run here. */
export function clearStaleOutput(outputDir: string, signal: AbortSignal | undefined): void {
  removeStaleTemporaries(outputDir);
  if (signal?.aborted) throw new InterruptedError("stopped before any request was scored; nothing was written.", stopSignalOf(signal));
}
