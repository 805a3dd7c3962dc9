import { Flags } from "@oclif/core";
import { defaultDataDir } from "../datasets/sources.js";
import { BaseCommand, chatFlags, chatOptions, parseLimit, parseShots } from "./baseCommand.js";
import { promptRecords } from "../inspect/prompts.js";

export default class Prompts extends BaseCommand {
  static override summary = "Print the requests a task sends, as JSONL in evaluation order (diff them against other harnesses).";
  static override description =
    "One JSON object per request: task, doc_id (index in dataset order), type, context, and continuation (loglikelihood) or until and max_tokens (generate; null where the cap depends on a model's tokenizer and no --model is given).";
  static override examples = [
    "<%= config.bin %> prompts --task jcommonsenseqa-1.1-0.3 --limit 5 --data-dir ../shared/datasets",
    "<%= config.bin %> prompts --task jsquad-1.1-0.3 --limit 2 --data-dir ../shared/datasets --model model.gguf",
    "<%= config.bin %> prompts --task arc_challenge --limit 2 --data-dir ../shared/datasets --model instruct.gguf --apply-chat-template --fewshot-as-multiturn",
  ];
  static override flags = {
    task: Flags.string({ char: "t", description: "Task name or alias.", required: true }),
    shots: Flags.string({ description: "Shots (default: the paper's for this task)." }),
    limit: Flags.integer({ description: "First N docs of the shuffled order." }),
    "data-dir": Flags.string({ description: "Folder laid out like the dataset manifests (default: the pull cache)." }),
    model: Flags.string({ description: "GGUF model whose tokenizer resolves generation caps and EOS." }),
    "hf-tokenizer": Flags.string({ description: "The model's own Hugging Face tokenizer (folder with tokenizer.json or tokenizer.model): resolves caps and EOS instead of the GGUF's vocabulary." }),
    "allow-dataset-mismatch": Flags.boolean({ description: "Accept files whose checksum or count differs from the manifest.", default: false }),
    ...chatFlags,
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Prompts);
    const shots = parseShots(flags.shots);
    if (shots && shots.length !== 1) throw new (await import("../util/errors.js")).UserError("usage", "--shots takes one number for a single task.");
    const limit = parseLimit(flags.limit);
    for await (const record of promptRecords({
      task: flags.task,
      ...(shots ? { shots: shots[0]! } : {}),
      ...(limit !== undefined ? { limit } : {}),
      dataDir: (flags["data-dir"] ?? defaultDataDir()),
      ...(flags.model ? { model: flags.model } : {}),
      ...(flags["hf-tokenizer"] ? { hfTokenizer: flags["hf-tokenizer"] } : {}),
      allowDatasetMismatch: flags["allow-dataset-mismatch"],
      ...chatOptions(flags),
    })) {
      process.stdout.write(JSON.stringify(record) + "\n");
    }
  }
}
