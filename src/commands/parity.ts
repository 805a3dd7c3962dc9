import { Args, Flags } from "@oclif/core";
import { defaultDataDir } from "../datasets/sources.js";
import { BaseCommand, parseShots } from "./baseCommand.js";
import { parity } from "../inspect/parity.js";
import { UserError } from "../util/errors.js";

export default class Parity extends BaseCommand {
  static override summary = "Check that our tasks send the requests lm-evaluation-harness v0.4 logged: prompts, targets and arguments, doc by doc.";
  static override description =
    "Reads every samples_<task>_<datetime>.jsonl under the folder (lm-eval --log_samples; `arguments` as a list or as gen_args_N/arg_M), maps lm-eval task names to ours (mmlu_<subject> → hendrycksTest-<subject>, truthfulqa_mc1/mc2 → truthfulqa_mc, arc_challenge, hellaswag and our own names), rebuilds each doc's requests with our tasks (doc_id = the doc's index in dataset order) and counts the docs whose prompt, target and arguments are identical. Shots come from the n-shot of an lm-eval results file beside the samples, else --shots, else each task's default. Exit 1 when any doc differs.";
  static override examples = [
    "<%= config.bin %> parity lm-eval-out/my-model --data-dir ../shared/datasets",
    "<%= config.bin %> parity lm-eval-out --shots 5 --json",
  ];
  static override args = { dir: Args.string({ description: "Folder with lm-eval's samples files (searched recursively).", required: true }) };
  static override flags = {
    "data-dir": Flags.string({ description: "Folder laid out like the dataset manifests (default: the pull cache)." }),
    shots: Flags.string({ description: "Shots for tasks whose results file is absent (default: each task's)." }),
    "allow-dataset-mismatch": Flags.boolean({ description: "Accept files whose checksum or count differs from the manifest.", default: false }),
    json: Flags.boolean({ description: "Print the comparison as JSON.", default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Parity);
    const shots = parseShots(flags.shots);
    if (shots && shots.length !== 1) throw new UserError("usage", "--shots takes one number (used for every task without a results file).");
    const report = await parity(args.dir, {
      dataDir: flags["data-dir"] ?? defaultDataDir(),
      ...(shots ? { shots: shots[0]! } : {}),
      allowDatasetMismatch: flags["allow-dataset-mismatch"],
    });
    const differs = report.tasks.some((t) => t.firstDifference !== null);
    if (flags.json) this.log(JSON.stringify(report, null, 2));
    else {
      for (const t of report.tasks) {
        const name = t.lmEvalTask === t.task ? t.task : `${t.lmEvalTask} (ours: ${t.task})`;
        this.log(`${name}, ${t.shots}-shot: ${t.docs} docs, ${t.matchedDocs} found; identical prompts ${t.identicalPrompts}, targets ${t.identicalTargets}, arguments ${t.identicalArguments}`);
        const d = t.firstDifference;
        if (d) {
          this.log(`  first difference: doc_id ${d.doc_id}, ${d.what} (- lm-eval, + ours)`);
          for (const line of d.diff.slice(0, 40)) this.log(`    ${line}`);
          if (d.diff.length > 40) this.log(`    … ${d.diff.length - 40} more lines`);
        }
      }
      for (const s of report.skipped) this.log(`skip ${s.file}: ${s.reason}`);
    }
    if (differs) process.exitCode = 1;
  }
}
