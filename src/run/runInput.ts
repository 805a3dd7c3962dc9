// `run`'s input, checked before any work starts (no download, no model load, no model call):
// what to run, the flags, the model file, the output and cache folders and every dataset file
// the selected tasks read. Every problem is collected and thrown together, one line each.

import { writableDirProblem } from "../util/files.js";
import { mkdirSync, statSync } from "node:fs";
import type { ChatSettings } from "../api/chat.js";
import { chatFlagProblems, resolveChatSettings, type ChatFlags } from "./chatSetup.js";
import { UserError, UserErrors } from "../util/errors.js";
import { planTasks, type PlannedTask, type SkippedTask } from "../evaluation/taskPlan.js";
import { inspectModelFile } from "../backend/modelFile.js";
import { hfTokenizerFiles, loadHfTokenizer, type HfTokenizer } from "../backend/tokenizers/hfTokenizer.js";
import { isGguf } from "../backend/tokenizers/load.js";
import { defaultCacheDir } from "../cache/location.js";
import { selectTasks, type TaskSelection } from "../tasks/registry.js";
import { CHOOSE_WHAT_TO_RUN, checkDuplicateTasks, checkTaskNames } from "./validate.js";
import { ensureDatasets, offlineFromEnv } from "../datasets/pull.js";
import type { Suite } from "../api/task.js";
import type { Backend } from "../api/types.js";
import { remoteOptionProblems, type RemoteBackendOptions } from "../backend/remote/index.js";

/** What the checks read of `run`'s options; `RunOptions` in runOptions.ts extends it with the engine's settings. */
export interface RunInput extends ChatFlags {
  /** The GGUF model file (with `remote`: the served model's name, which names the output folder). */
  model: string;
  /** Score on an inference server instead of in process (`--backend openai`). */
  remote?: RemoteBackendOptions;
  /** `--hf-tokenizer`: the model's own Hugging Face tokenizer files, which then make every token id. */
  hfTokenizer?: string;
  suite?: Suite | "all";
  tasks?: string[];
  shots?: number[];
  limit?: number;
  dataDir: string;
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
  /** Problems the command layer found in flags, listed with every other problem. */
  flagProblems?: UserError[];
  /** Progress lines (stderr); silent when absent. */
  log?: (line: string) => void;
  /** Warnings (a corrupt cache moved aside, a dataset file let through with invalid UTF-8); `log` when absent. */
  warn?: (line: string) => void;
  /** Injected backend (tests); otherwise the llama.cpp backend is created. */
  backend?: Backend;
}

/** Can the outputs be written into `dir` (created if absent)? One line naming the fix otherwise. */
export function checkOutputDir(dir: string): UserError | null {
  const problem = writableDirProblem(dir);
  return problem === null ? null : new UserError("output", `Output directory ${dir} is not writable (${problem}); pass --output with a writable folder.`);
}

/**
 * Everything wrong with the input, found without a model call; throws them all together.
 * Missing dataset files are pulled (when `pullMissingData`) only once everything else is sound,
 * so that a wrong flag or model path is never reported after minutes of downloads.
 */
export async function validateInput(
  options: RunInput,
  outputDir: string,
): Promise<{ planned: PlannedTask[]; skipped: SkippedTask[]; chat?: ChatSettings; ownTokenizer?: HfTokenizer }> {
  const problems: UserError[] = [...(options.flagProblems ?? [])];
  const add = (e: unknown) => {
    if (e instanceof UserErrors) problems.push(...e.problems);
    else if (e instanceof UserError) problems.push(e);
    else throw e;
  };

  let selections: TaskSelection[] | undefined;
  const tasks = options.tasks?.map((t) => t.trim()).filter((t) => t !== "");
  if (options.suite === undefined && (tasks === undefined || tasks.length === 0)) {
    // Nothing selected: no suite runs by default. The command has said so (or why --suite or
    // --tasks is unusable); a library caller hears it here.
    if (problems.length === 0) {
      problems.push(new UserError("usage", tasks === undefined ? CHOOSE_WHAT_TO_RUN : `--tasks names no task; give task names separated by commas, or --suite ja|en|all.`));
    }
  } else {
    const nameProblems = tasks ? [...checkTaskNames(tasks), ...checkDuplicateTasks(tasks)] : [];
    problems.push(...nameProblems);
    if (nameProblems.length === 0) {
      try {
        selections = selectTasks({ ...(tasks ? { tasks } : { suite: options.suite }), ...(options.shots ? { shots: options.shots } : {}) });
      } catch (e) {
        add(e);
      }
    }
  }
  if (options.shots?.some((n) => !Number.isInteger(n) || n < 0)) {
    problems.push(new UserError("usage", `--shots ${options.shots.join(",")}: every value must be a whole number of at least 0.`));
  }
  if (options.limit !== undefined && (!Number.isInteger(options.limit) || options.limit < 1)) {
    problems.push(new UserError("usage", `--limit ${options.limit} must be a whole number of at least 1 (the first N docs of each task's shuffled order).`));
  }

  let modelOk = true;
  if (options.remote) {
    problems.push(...remoteOptionProblems(options.remote));
    if (options.remote.tokenizerPath !== undefined) {
      try {
        // A GGUF (whole or vocabulary-only) is read now; Hugging Face files are checked when loaded.
        if (await isGguf(options.remote.tokenizerPath)) await inspectModelFile(options.remote.tokenizerPath);
        else {
          hfTokenizerFiles(options.remote.tokenizerPath);
          modelOk = false; // no chat template in HF files here
        }
      } catch (e) {
        modelOk = false;
        add(e);
      }
    } else {
      modelOk = false;
      if (options.applyChatTemplate || options.systemInstruction !== undefined) {
        problems.push(new UserError("usage", "--apply-chat-template and --system-instruction with --backend openai need --tokenizer FILE.gguf (the served model's vocabulary, which holds its chat template); add it."));
      }
    }
  } else if (!options.backend) {
    try {
      await inspectModelFile(options.model);
    } catch (e) {
      modelOk = false;
      add(e);
    }
  }
  let ownTokenizer: HfTokenizer | undefined;
  if (options.hfTokenizer !== undefined && !options.remote) {
    try {
      ownTokenizer = await loadHfTokenizer(options.hfTokenizer);
    } catch (e) {
      add(e);
    }
  }
  // The chat template comes from the model's vocabulary: read it only from a usable model file.
  let chat: ChatSettings | undefined;
  problems.push(...chatFlagProblems(options));
  if (modelOk && chatFlagProblems(options).length === 0) {
    try {
      chat = await resolveChatSettings(options, options.remote?.tokenizerPath ?? options.model);
    } catch (e) {
      add(e);
    }
  }
  const outErr = checkOutputDir(outputDir);
  if (outErr) problems.push(outErr);
  if (!options.noCache) {
    const cacheDir = options.cacheDir ?? defaultCacheDir();
    const why = writableDirProblem(cacheDir);
    if (why) problems.push(new UserError("usage", `Cache directory ${cacheDir} is not writable (${why}); pass --cache-dir with a writable folder, or --no-cache.`));
  }

  // With the pull cache as the data folder, missing files are fetched; nothing is fetched (or
  // checked) while anything else is wrong.
  if (options.pullMissingData && problems.length > 0) throw problems.length === 1 ? problems[0]! : new UserErrors(problems);
  // Hosts that could not be reached (no network, no DNS): one line each, and no advice to pull.
  let unreachable: string[] = [];
  if (options.pullMissingData && selections) {
    mkdirSync(options.dataDir, { recursive: true });
    const refs = selections.flatMap(({ task, shots }) => [task.evalData, ...(task.fewshotData && shots > 0 && task.fewshot.kind !== "none" ? [task.fewshotData] : [])]);
    const report = await ensureDatasets(refs, { dataDir: options.dataDir, offline: offlineFromEnv(), progress: true, ...(options.log ? { log: options.log } : {}) });
    for (const f of report.files) if (f.state === "pulled" || f.state === "partial") options.log?.(`data: ${f.path} ${f.state} (${f.detail})`);
    unreachable = report.unreachable;
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
        ...(chat ? { chat } : {}),
      });
      if (plan.planned.length === 0 && unreachable.length > 0) {
        // `datasets pull` would fail the same way: point at the network or a local copy instead.
        problems.push(...unreachable.map((line) => new UserError("dataset", line)));
        problems.push(
          new UserError("dataset", `No selected task has its data in ${options.dataDir} and its sources cannot be reached; check the network (or a proxy, HF_ENDPOINT, RAKUTEN_EVAL_SOURCE_MIRROR), or pass --data-dir with a local copy of the datasets (e.g. ../shared/datasets).`),
        );
      } else if (plan.planned.length === 0) {
        problems.push(
          new UserError("dataset", `No selected task has its data in ${options.dataDir}; pass --data-dir pointing at a folder laid out like the dataset manifests, or run \`rakuten-eval datasets pull\`.`),
        );
      } else {
        for (const line of unreachable) (options.warn ?? options.log)?.(`warning: ${line}`);
      }
    } catch (e) {
      add(e);
    }
  }
  if (problems.length > 0) throw problems.length === 1 ? problems[0]! : new UserErrors(problems);
  const warn = options.warn ?? options.log;
  const warned = new Set<string>();
  for (const p of plan.planned) {
    for (const line of [...(p.data.eval.warnings ?? []), ...(p.data.fewshot?.warnings ?? [])]) {
      if (warned.has(line)) continue;
      warned.add(line);
      warn?.(`warning: ${line}`);
    }
  }
  return { ...plan, ...(chat ? { chat } : {}), ...(ownTokenizer ? { ownTokenizer } : {}) };
}
