import { Flags } from "@oclif/core";
import { BaseCommand, parseLimit, parseShots } from "./baseCommand.js";
import { runEvaluation } from "../run.js";
import { renderResultsTable } from "../report/table.js";
import { UserError } from "../errors.js";

export default class Run extends BaseCommand {
  static override summary = "Evaluate a GGUF model on the Japanese and/or English suite of the RakutenAI-7B paper.";
  static override description =
    "Builds the reference harnesses' prompts and few-shot picks, scores them through llama.cpp in-process, prints a table beside the paper's RakutenAI-7B figures and writes results.json plus one samples_<task>.jsonl per task to --output.";
  static override examples = [
    "<%= config.bin %> run --suite ja --model model.gguf",
    "<%= config.bin %> run --suite ja --shots 3 --model model.gguf --data-dir ../shared/datasets --limit 20",
    "<%= config.bin %> run --tasks jcommonsenseqa-1.1-0.3,jnli-1.1-0.3 --shots 3,3 --model model.gguf --json",
  ];
  static override flags = {
    model: Flags.string({ char: "m", description: "GGUF model file.", required: true }),
    suite: Flags.string({ description: "Suite to run.", options: ["ja", "en", "all"], exclusive: ["tasks"] }),
    tasks: Flags.string({ description: "Comma-separated task names or aliases (see `rakuten-eval tasks`); `mmlu` runs the 57 subjects." }),
    shots: Flags.string({ description: "Shots: one number for every task, or a comma list in task order (default: the paper's, 3,3,3,2,1,1,0,5 for ja)." }),
    limit: Flags.integer({ description: "Evaluate only the first N docs of each task's shuffled order (as the reference --limit)." }),
    "data-dir": Flags.string({ description: "Folder laid out like the dataset manifests (e.g. ../shared/datasets).", default: "data" }),
    output: Flags.string({ char: "o", description: "Output folder for results.json and samples (default: results/runs/<model name>)." }),
    threads: Flags.integer({ description: "CPU threads for llama.cpp (default: physical cores)." }),
    "context-size": Flags.integer({ description: "llama.cpp context size per sequence (default: sized to the longest request)." }),
    "batch-size": Flags.integer({ description: "llama.cpp batch size." }),
    "kv-cache-type": Flags.string({ description: "KV cache type (pinned and recorded; f32 gives the most exact scores).", options: ["f16", "f32"] }),
    "flash-attention": Flags.boolean({ description: "Use flash attention (changes scores by ~1e-2 nats; recorded).", default: false }),
    gpu: Flags.string({ description: "GPU backend to use (needs the matching @node-llama-cpp binary package).", options: ["auto", "cuda", "vulkan", "metal"] }),
    "allow-dataset-mismatch": Flags.boolean({ description: "Use dataset files whose checksum or record count differs from the manifest (recorded in the results).", default: false }),
    json: Flags.boolean({ description: "Print the results JSON to stdout instead of the table.", default: false }),
    quiet: Flags.boolean({ char: "q", description: "No progress lines on stderr.", default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Run);
    const tasks = flags.tasks?.split(",").map((s) => s.trim()).filter(Boolean);
    if (!flags.suite && !tasks) throw new UserError("usage", "Choose what to run: --suite ja|en|all or --tasks a,b,c.");
    const outcome = await runEvaluation({
      model: flags.model,
      ...(flags.suite ? { suite: flags.suite as "ja" | "en" | "all" } : {}),
      ...(tasks ? { tasks } : {}),
      ...(flags.shots !== undefined ? { shots: parseShots(flags.shots)! } : {}),
      ...(flags.limit !== undefined ? { limit: parseLimit(flags.limit)! } : {}),
      dataDir: flags["data-dir"],
      ...(flags.output ? { outputDir: flags.output } : {}),
      ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
      ...(flags["context-size"] !== undefined ? { contextSize: flags["context-size"] } : {}),
      ...(flags["batch-size"] !== undefined ? { batchSize: flags["batch-size"] } : {}),
      ...(flags["kv-cache-type"] ? { kvCacheType: flags["kv-cache-type"] as "f16" | "f32" } : {}),
      flashAttention: flags["flash-attention"],
      ...(flags.gpu ? { gpu: flags.gpu as "auto" | "cuda" | "vulkan" | "metal" } : {}),
      allowDatasetMismatch: flags["allow-dataset-mismatch"],
      ...(flags.quiet ? {} : { log: (line: string) => process.stderr.write(line + "\n") }),
    });
    if (flags.json) {
      this.log(JSON.stringify(outcome.doc, null, 2));
      return;
    }
    this.log(renderResultsTable(outcome.doc));
    for (const s of outcome.doc.rakuten_eval.skipped) this.log(`skipped ${s.task}: ${s.reason}`);
    for (const n of outcome.doc.rakuten_eval.notes.filter((n) => !n.includes(" skipped: "))) this.log(`note: ${n}`);
    this.log(`results: ${outcome.resultsPath}`);
  }
}
