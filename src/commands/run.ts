import { Flags } from "@oclif/core";
import { defaultDataDir } from "../datasets/sources.js";
import { BaseCommand, chatFlags, chatOptions } from "./baseCommand.js";
import { runEvaluation, type RunOptions } from "../run/run.js";
import type { OutputFormat } from "../run/runOutput.js";
import { renderResultsTable } from "../report/table.js";
import { runSummary } from "../report/runSummary.js";
import { createProgressDisplay, progressMode } from "../terminal/progress.js";
import { terminalWidth } from "../terminal/width.js";
import { coloursFor } from "../terminal/colour.js";
import { UserError } from "../util/errors.js";
import { InterruptedError, interruptedReason } from "../backend/interruption.js";
import { onStopSignals, signalExitCode } from "../util/stopSignals.js";
import { labelProblem } from "../util/displayText.js";
import { parseShardFlag } from "../shard/shard.js";
import type { RemoteBackendOptions } from "../backend/remote/index.js";
import { blankTasksProblem, CHOOSE_WHAT_TO_RUN, isSuite, checkSuite, parseCountFlag, parseShotsFlag } from "../run/validate.js";

/** The flags of `--backend openai` as the remote backend's options; problems are added to `problems`. */
function remoteOptions(flags: Record<string, unknown>, problems: UserError[]): RemoteBackendOptions {
  const options: RemoteBackendOptions = {
    baseUrls: (flags["base-url"] as string[] | undefined) ?? [],
    servedModel: (flags["served-model"] as string | undefined) ?? "",
    server: flags.server as RemoteBackendOptions["server"],
  };
  if (typeof flags.tokenizer === "string") options.tokenizerPath = flags.tokenizer;
  else if (typeof flags["hf-tokenizer"] === "string") options.tokenizerPath = flags["hf-tokenizer"];
  const local = ["model", "mmap", "threads", "parallel", "context-size", "batch-size", "kv-cache-type", "gpu"].filter((f) => flags[f] !== undefined);
  if (flags["flash-attention"]) local.push("flash-attention");
  for (const f of local) problems.push(new UserError("usage", `--${f} is for the in-process backend; with --backend openai the server's settings apply (name its model with --served-model).`));
  const keyVariable = flags["api-key-env"];
  if (typeof keyVariable === "string") {
    const key = process.env[keyVariable];
    if (key === undefined || key === "") problems.push(new UserError("usage", `--api-key-env ${keyVariable}: that environment variable is not set or empty; export the server's API key in it.`));
    else options.apiKey = key;
  }
  for (const [flag, key, min, what] of [["concurrency", "concurrency", 1, "HTTP calls in flight"], ["timeout", "timeoutSeconds", 1, "seconds per HTTP call"]] as const) {
    const raw = flags[flag];
    if (typeof raw !== "string") continue;
    const parsed = parseCountFlag(flag, raw, min, what);
    if (parsed.problem) problems.push(parsed.problem);
    else options[key] = parsed.value!;
  }
  return options;
}

const OUTPUT_GROUP = "Output, cache and data";
const LLAMA_GROUP = "llama.cpp (in process)";
const REMOTE_GROUP = "Inference server (--backend openai)";

export default class Run extends BaseCommand {
  static override summary = "Evaluate a GGUF model on the Japanese and/or English suite of the RakutenAI-7B paper.";
  static override description =
    "Builds the reference harnesses' prompts and few-shot picks, scores them through llama.cpp in-process, prints a table beside the paper's RakutenAI-7B figures and writes lm-evaluation-harness v0.4's files to --output: <output>/<model name>/results_<date>.json and one samples_<task>_<date>.jsonl per task (a rerun adds files, never overwrites).\n\n" +
    "Every answer is stored in a request cache as it arrives (keyed by the model file's sha256, the engine settings that can change a number and the request), so rerunning a command after a crash, a kill or Ctrl-C recomputes nothing that finished. Ctrl-C, SIGTERM and SIGHUP write partial results (rakuten_eval.complete: false) and exit with 128 + the signal number (130, 143, 129); any other failure after work began writes them too before its error; bad input exits with code 2 after listing every problem.";
  static override usage = ["<%= command.id %> (--suite ja|en|all | --tasks NAMES) --model FILE.gguf [FLAGS]", "<%= command.id %> (--suite ja|en|all | --tasks NAMES) --backend openai --base-url URL --served-model NAME [FLAGS]"];
  static override examples = [
    "<%= config.bin %> run --suite ja --model model.gguf",
    "<%= config.bin %> run --suite ja --model model.gguf --hf-tokenizer ./model-hf   # the model's own tokenizer.json makes the ids",
    "<%= config.bin %> run --suite ja --shots 3 --model model.gguf --data-dir ../shared/datasets --limit 20",
    "<%= config.bin %> run --tasks jcommonsenseqa-1.1-0.3,jnli-1.1-0.3 --shots 3,3 --model model.gguf --json",
    "<%= config.bin %> run --suite en --model model.gguf --format openllm-v1 --output out",
    "<%= config.bin %> run --suite ja --model model.gguf --shard 2/8 --output shards/2   # one CI job of eight; then `merge shards/*`",
    "<%= config.bin %> run --suite all --backend openai --base-url http://vllm:8000/v1 --served-model rakuten-7b --tokenizer model.gguf --concurrency 32",
  ];
  // Grouped for --help (oclif lists flags in this order: package.json helpOptions.flagSortOrder):
  // what every run needs first, then output and cache, the in-process engine, chat, and last the
  // remote server's, which only --backend openai uses.
  static override flags = {
    model: Flags.string({ char: "m", description: "GGUF model file (the in-process backend)." }),
    // Validated by the command (not oclif `options`) so that a bad suite is listed with every other problem.
    suite: Flags.string({ description: "Suite to run: ja, en or all.", exclusive: ["tasks"] }),
    tasks: Flags.string({ description: "Comma-separated task names or aliases (see `rakuten-eval tasks`); `mmlu` runs the 57 subjects." }),
    shots: Flags.string({ description: "Shots: one number for every task, or a comma list in task order (default: the paper's, 3,3,3,2,1,1,0,5 for ja)." }),
    limit: Flags.string({ description: "Evaluate only the first N docs of each task's shuffled order (as the reference --limit)." }),
    "data-dir": Flags.string({
      description:
        "Folder laid out like the dataset manifests (e.g. ../shared/datasets); used as is, offline. Without it, the pull cache ($XDG_CACHE_HOME/rakuten-eval/datasets) is used and missing files are fetched from their pinned sources.",
    }),
    output: Flags.string({
      char: "o",
      description: "Output folder; the run writes into its <model name> subfolder as lm-eval does (default: results/runs). A path ending in .json writes <stem>_<date>.json with the samples beside it.",
    }),
    label: Flags.string({ description: "A name for the run, recorded in results.json (rakuten_eval.label) and shown by compare and report." }),
    json: Flags.boolean({ description: "Print the results JSON to stdout instead of the table.", default: false }),
    quiet: Flags.boolean({ char: "q", description: "No progress display and no summary on stderr (errors and warnings still print).", default: false }),
    format: Flags.string({
      description: "Also write a leaderboard's results file: openllm-v1 (Open LLM Leaderboard v1, English suite) or jp-stable (Stability's result.json, Japanese suite). The lm-eval layout is always written.",
      options: ["lm-eval", "openllm-v1", "jp-stable"],
      default: "lm-eval",
      helpGroup: OUTPUT_GROUP,
    }),
    shard: Flags.string({
      description:
        "Score only shard i of N (1-based, 1 ≤ i ≤ N) of the run: the whole plan is built as without it (same shuffle and few-shot picks), then the k-th doc goes to shard (k mod N) + 1. Each shard writes its own results (marked as a shard); `rakuten-eval merge` rebuilds the whole run. Kubernetes: --shard $((JOB_COMPLETION_INDEX + 1))/N.",
      helpGroup: OUTPUT_GROUP,
    }),
    cache: Flags.boolean({ description: "Read and write the request cache (--no-cache: compute everything, store nothing).", default: true, allowNo: true, helpGroup: OUTPUT_GROUP }),
    "cache-dir": Flags.string({ description: "Request cache folder (default: $XDG_CACHE_HOME/rakuten-eval or ~/.cache/rakuten-eval).", helpGroup: OUTPUT_GROUP }),
    "allow-dataset-mismatch": Flags.boolean({ description: "Use dataset files whose checksum or record count differs from the manifest (recorded in the results).", default: false, helpGroup: OUTPUT_GROUP }),
    "progress-interval": Flags.string({
      description: "Seconds between progress lines where no live bar is drawn (not a terminal, or CI set); default 30.",
      helpGroup: OUTPUT_GROUP,
    }),
    "hf-tokenizer": Flags.string({
      description:
        "The model's own Hugging Face tokenizer (a folder with tokenizer.json and tokenizer_config.json, or tokenizer.model, or one of those files): it makes every token id instead of llama.cpp's reading of the GGUF, as the reference harnesses tokenize. Recorded; the summary says how often the GGUF's tokenizer agrees.",
      helpGroup: LLAMA_GROUP,
    }),
    threads: Flags.string({ description: "CPU threads for llama.cpp (default: physical cores). Scores do not depend on it.", helpGroup: LLAMA_GROUP }),
    parallel: Flags.string({
      description: "llama.cpp sequences evaluated side by side so that decodes merge (default: 1 on a CPU, 4 with a GPU; never derived from --threads). Recorded; more than 1 may change scores by ~1e-6 nats.",
      helpGroup: LLAMA_GROUP,
    }),
    "context-size": Flags.string({ description: "llama.cpp context size per sequence (default: sized to the longest request).", helpGroup: LLAMA_GROUP }),
    "batch-size": Flags.string({ description: "llama.cpp batch size.", helpGroup: LLAMA_GROUP }),
    "kv-cache-type": Flags.string({ description: "KV cache type (pinned and recorded; f32 gives the most exact scores).", options: ["f16", "f32"], helpGroup: LLAMA_GROUP }),
    "flash-attention": Flags.boolean({ description: "Use flash attention (changes scores by ~1e-2 nats; recorded).", default: false, helpGroup: LLAMA_GROUP }),
    mmap: Flags.string({
      description: "Memory-map the model file: auto (default) maps it unless the CPU kernels repack its weights (e.g. Q8_0 on AMX CPUs), where mapping would hold a second copy; off reads it into memory; on maps it. Recorded; scores do not depend on it.",
      options: ["auto", "on", "off"],
      helpGroup: LLAMA_GROUP,
    }),
    gpu: Flags.string({ description: "GPU backend to use (needs the matching @node-llama-cpp binary package).", options: ["auto", "cuda", "vulkan", "metal"], helpGroup: LLAMA_GROUP }),
    ...chatFlags,
    backend: Flags.string({ description: "llama: llama.cpp in process (default); openai: an inference server (vLLM, SGLang, an OpenAI-compatible endpoint with prompt log-probabilities).", options: ["llama", "openai"], default: "llama", helpGroup: REMOTE_GROUP }),
    "base-url": Flags.string({ description: "--backend openai: the server's API root (e.g. http://vllm:8000/v1); repeat for several replicas (calls are spread over them).", multiple: true, helpGroup: REMOTE_GROUP }),
    "served-model": Flags.string({ description: "--backend openai: the model name the server serves (as in its /v1/models).", helpGroup: REMOTE_GROUP }),
    "api-key-env": Flags.string({ description: "--backend openai: name of the environment variable holding the API key (sent as a bearer token, never logged or stored).", helpGroup: REMOTE_GROUP }),
    concurrency: Flags.string({ description: "--backend openai: HTTP calls in flight at once, over all replicas (default 8).", helpGroup: REMOTE_GROUP }),
    timeout: Flags.string({ description: "--backend openai: seconds one HTTP call may take before it is retried (default 600).", helpGroup: REMOTE_GROUP }),
    server: Flags.string({ description: "--backend openai: the server's protocol (default auto: asked of the server).", options: ["auto", "vllm", "sglang", "openai-echo"], default: "auto", helpGroup: REMOTE_GROUP }),
    tokenizer: Flags.string({
      description:
        "--backend openai: the served model's tokenizer: its Hugging Face files (a folder with tokenizer.json or tokenizer.model), a GGUF or a vocabulary-only GGUF; token ids are sent, so boundaries are exact. Absent: the server's own /tokenize (vLLM started with --enable-tokenizer-info-endpoint).",
      helpGroup: REMOTE_GROUP,
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Run);
    const problems: UserError[] = [];
    // Blank entries ("a,,b", a trailing comma) are dropped; a --tasks that names nothing is refused
    // (it would otherwise fall back to a whole suite).
    const tasks = flags.tasks?.split(",").map((s) => s.trim()).filter(Boolean);
    const remote = flags.backend === "openai";
    if (!remote && flags.model === undefined) throw new UserError("usage", "Missing required flag model; see `rakuten-eval run --help`.");
    if (flags.suite === undefined && tasks === undefined) problems.push(new UserError("usage", CHOOSE_WHAT_TO_RUN));
    if (tasks?.length === 0) problems.push(blankTasksProblem(flags.tasks!));
    const suiteProblem = checkSuite(flags.suite);
    if (suiteProblem) problems.push(suiteProblem);
    const options: RunOptions = {
      model: remote ? (flags["served-model"] ?? "") : flags.model!,
      dataDir: flags["data-dir"] ?? defaultDataDir(),
      pullMissingData: flags["data-dir"] === undefined,
      flashAttention: flags["flash-attention"],
      ...(flags.mmap !== undefined ? { mmap: flags.mmap as "on" | "off" | "auto" } : {}),
      allowDatasetMismatch: flags["allow-dataset-mismatch"],
      noCache: !flags.cache,
    };
    if (flags.suite && isSuite(flags.suite)) options.suite = flags.suite;
    if (tasks) options.tasks = tasks;
    if (flags.shots !== undefined) {
      const parsed = parseShotsFlag(flags.shots);
      if (parsed.problem) problems.push(parsed.problem);
      else options.shots = parsed.shots!;
    }
    const counts: [keyof typeof flags, "limit" | "threads" | "parallel" | "contextSize" | "batchSize", number, string][] = [
      ["limit", "limit", 1, "the first N docs of each task's shuffled order"],
      ["threads", "threads", 1, "CPU threads"],
      ["parallel", "parallel", 1, "sequences evaluated side by side"],
      ["context-size", "contextSize", 2, "tokens of context"],
      ["batch-size", "batchSize", 1, "tokens per llama.cpp batch"],
    ];
    for (const [flag, key, min, what] of counts) {
      const raw = flags[flag];
      if (typeof raw !== "string") continue;
      const parsed = parseCountFlag(flag, raw, min, what);
      if (parsed.problem) problems.push(parsed.problem);
      else options[key] = parsed.value!;
    }
    if (flags.shard !== undefined) {
      const parsed = parseShardFlag(flags.shard);
      if (parsed.problem) problems.push(parsed.problem);
      else options.shard = parsed.shard!;
    }
    if (remote) options.remote = remoteOptions(flags, problems);
    else {
      if (flags["hf-tokenizer"] !== undefined) options.hfTokenizer = flags["hf-tokenizer"];
      const misplaced = (["base-url", "served-model", "api-key-env", "concurrency", "timeout", "tokenizer"] as const).filter((f) => flags[f] !== undefined);
      if (flags.server !== "auto") misplaced.push("server" as never);
      for (const f of misplaced) problems.push(new UserError("usage", `--${f} is for an inference server; add --backend openai, or leave it out.`));
    }
    if (flags.output) options.outputDir = flags.output;
    if (flags.label !== undefined) {
      const problem = labelProblem("label", flags.label);
      if (problem) problems.push(new UserError("usage", problem));
      else options.label = flags.label;
    }
    options.format = flags.format as OutputFormat;
    Object.assign(options, chatOptions(flags));
    if (flags["cache-dir"]) options.cacheDir = flags["cache-dir"];
    if (flags["kv-cache-type"]) options.kvCacheType = flags["kv-cache-type"] as "f16" | "f32";
    if (flags.gpu) options.gpu = flags.gpu as "auto" | "cuda" | "vulkan" | "metal";
    let intervalSeconds = 30;
    if (flags["progress-interval"] !== undefined) {
      const seconds = Number(flags["progress-interval"]);
      if (!(Number.isFinite(seconds) && seconds > 0)) {
        problems.push(new UserError("usage", `--progress-interval "${flags["progress-interval"]}" is not a positive number of seconds (e.g. --progress-interval 30).`));
      } else intervalSeconds = seconds;
    }
    options.flagProblems = problems;
    const display = createProgressDisplay({ stream: process.stderr, mode: progressMode(process.stderr, process.env, flags.quiet), intervalSeconds });
    options.warn = (line: string) => display.log(line);
    if (!flags.quiet) options.log = (line: string) => display.log(line);
    options.onProgress = (report) => display.update(report);

    // Ctrl-C, SIGTERM (CI timeout, docker stop, a pod eviction) or SIGHUP: stop sending work, keep
    // every finished answer, write partial results, exit 128 + the signal's number (130, 143, 129).
    // A second signal quits at once (the cache holds everything stored so far).
    const controller = new AbortController();
    const removeHandlers = onStopSignals(
      (signal) => {
        // Under --no-cache nothing is stored for a resume: say what is true (the finished docs' partial results).
        const kept = flags.cache ? "finished answers are kept" : "nothing is cached (--no-cache): partial results of the finished docs are written, a rerun starts over";
        display.log(`${signal === "SIGINT" ? "interrupt" : signal}: stopping; ${kept} (${signal === "SIGINT" ? "Ctrl-C" : "the signal"} again to quit at once)`);
        controller.abort(signal);
      },
      (signal) => {
        display.stop(); // gives the terminal its cursor and line wrapping back
        process.exit(signalExitCode(signal));
      },
    );
    options.signal = controller.signal;
    let outcome;
    try {
      outcome = await runEvaluation(options);
    } catch (error) {
      if (error instanceof InterruptedError) {
        display.stop();
        process.stderr.write(`${interruptedReason(error.signal)}: ${error.message}\n`);
        // The engine may still be computing the abandoned chunk; nothing of it is needed.
        process.exit(error.exitCode);
      }
      throw error;
    } finally {
      display.stop();
      removeHandlers();
    }
    // A signal after the last answer (while scoring from stored answers or publishing): the run
    // finished and its results are complete, so the job succeeded and nothing is redone.
    if (controller.signal.aborted) process.stderr.write(`${String(controller.signal.reason)} received after the last answer: the run finished; its results are complete (${outcome.resultsPath}).\n`);
    if (flags.json) this.log(JSON.stringify(outcome.doc, null, 2));
    else {
      const colours = coloursFor(process.stdout);
      this.log(renderResultsTable(outcome.doc, { width: terminalWidth(process.stdout), colours }));
      for (const n of outcome.doc.rakuten_eval.notes.filter((n) => !n.includes(" skipped: "))) this.log(`note: ${n}`);
    }
    if (!flags.quiet) for (const line of runSummary(outcome, process.cwd())) process.stderr.write(line + "\n");
  }
}
