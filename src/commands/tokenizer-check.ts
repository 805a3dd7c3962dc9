import { Flags } from "@oclif/core";
import { defaultDataDir } from "../datasets/sources.js";
import { BaseCommand, parseLimit } from "./baseCommand.js";
import { UserError } from "../util/errors.js";
import { selectTasks } from "../tasks/registry.js";
import { agreementLines, compareTokenizers, plannedRequests } from "../run/tokenizerCheck.js";
import { openTokenizer } from "../run/tokenizerChoice.js";
import { CHOOSE_WHAT_TO_RUN, checkSuite, isSuite } from "../run/validate.js";

/** Exit code when some requests' tokens differ (a check that failed, like a gate). */
const EXIT_DIFFERENT = 1;

export default class TokenizerCheck extends BaseCommand {
  static override summary = "Compare the GGUF's tokenizer (llama.cpp) with the model's own on the requests a run sends.";
  static override description =
    "Plans the run's requests (same tasks, shots, --limit and data as `run`), tokenizes each as the reference harness does (context and continuation under the task's rule; a generation's prompt, stop token and cap texts) with llama.cpp's reading of --model and with --hf-tokenizer, and prints per task how many requests agree, with the first differences shown as pieces. Exit 0 when every request agrees, 1 when some differ, 2 on bad input.";
  static override examples = [
    "<%= config.bin %> tokenizer-check --model model.gguf --hf-tokenizer ./model-hf --suite ja --data-dir ../shared/datasets --limit 20",
    "<%= config.bin %> tokenizer-check --model model.gguf --hf-tokenizer ./model-hf/tokenizer.json --tasks jcommonsenseqa --json",
  ];
  static override flags = {
    model: Flags.string({ char: "m", description: "GGUF model or vocabulary-only GGUF (only its vocabulary is loaded).", required: true }),
    "hf-tokenizer": Flags.string({ description: "The model's own Hugging Face tokenizer: a folder with tokenizer.json (and tokenizer_config.json) or tokenizer.model, or one of those files.", required: true }),
    suite: Flags.string({ description: "Suite: ja, en or all.", exclusive: ["tasks"] }),
    tasks: Flags.string({ description: "Comma-separated task names or aliases." }),
    limit: Flags.integer({ description: "First N docs of each task's shuffled order." }),
    examples: Flags.integer({ description: "Differences shown per task.", default: 3 }),
    "data-dir": Flags.string({ description: "Folder laid out like the dataset manifests (default: the pull cache)." }),
    "allow-dataset-mismatch": Flags.boolean({ description: "Accept files whose checksum or count differs from the manifest.", default: false }),
    json: Flags.boolean({ description: "Print the comparison as JSON.", default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(TokenizerCheck);
    const tasks = flags.tasks?.split(",").map((s) => s.trim()).filter(Boolean);
    if (flags.suite === undefined && tasks === undefined) throw new UserError("usage", CHOOSE_WHAT_TO_RUN);
    const suiteProblem = checkSuite(flags.suite);
    if (suiteProblem) throw suiteProblem;
    const limit = parseLimit(flags.limit);
    const selections = selectTasks(tasks ? { tasks } : { suite: flags.suite !== undefined && isSuite(flags.suite) ? flags.suite : "ja" });
    const { requests, skipped } = await plannedRequests(selections, {
      dataDir: flags["data-dir"] ?? defaultDataDir(),
      ...(limit !== undefined ? { limit } : {}),
      allowDatasetMismatch: flags["allow-dataset-mismatch"],
    });
    if (requests.length === 0) throw new UserError("dataset", "No selected task has its data there; pass --data-dir pointing at a folder laid out like the dataset manifests, or run `rakuten-eval datasets pull`.");
    for (const task of skipped) process.stderr.write(`skip ${task}: its data is missing\n`);
    const gguf = await openTokenizer({ model: flags.model }, "tokenizer-check");
    try {
      const hf = await openTokenizer({ hfTokenizer: flags["hf-tokenizer"] }, "tokenizer-check");
      const report = compareTokenizers(requests, gguf, hf, Math.max(0, flags.examples));
      if (flags.json) process.stdout.write(`${JSON.stringify({ a: "gguf", b: "hf", ...report }, null, 2)}\n`);
      else for (const line of agreementLines(report, { a: "gguf", b: "hf  " })) process.stdout.write(`${line}\n`);
      if (report.differing > 0) process.exitCode = EXIT_DIFFERENT;
    } finally {
      await gguf.dispose();
    }
  }
}
