import { Args, Flags } from "@oclif/core";
import path from "node:path";
import { BaseCommand } from "./baseCommand.js";
import { defaultDataDir } from "../datasets/sources.js";
import { rescoreRun } from "../rescore/rescore.js";
import { renderResultsTable } from "../report/table.js";
import { terminalWidth } from "../terminal/width.js";
import { coloursFor } from "../terminal/colour.js";
import { UserError } from "../util/errors.js";

export default class Rescore extends BaseCommand {
  static override summary = "Score a saved run again from its samples files, without the model.";
  static override description =
    "Recomputes every task's metrics, stderrs, group scores, suite averages and the paper comparison from the responses saved in RUN's samples files, with this version's task code, and writes them as a new run in lm-evaluation-harness v0.4's layout (OUT/<model>/results_<date>.json and samples files) with rakuten_eval.rescored_from naming the source results file, its sha256 and the version that wrote it. RUN is anything compare accepts: a results file, its model folder, or an --output folder holding one model folder. RUN is only read.\n\n" +
    "Each task is planned again from the datasets (the run's shots and --limit; the files must have the sha256 the run recorded), and the saved requests are checked against what this version's task code sends for the same docs: context, continuation, tokenization rule, stop sequences and generation cap. Any difference is refused in one line naming the task and the first differing doc_id (exit 2): responses to other requests cannot be re-scored, so there is no flag to allow it.\n\n" +
    "Scoring-only variants: none of this version's tasks has a variant that changes scoring alone. The harness's variants (mgsm-1.0-0.3 and mgsm-1.0-0.3-head, jnli-1.1-0.3 and jnli-1.3-0.3, jaqket_v2 0.1 and 0.2) differ in their prompts, so a run is rescored with the variant it ran, and MGSM's answer extraction is the same rule in both (the paper's commit crashes where the later one scores [invalid]; a run that finished never hit that case).\n\n" +
    "--tokenizer: XL-Sum's ROUGE-2 is computed over the evaluated model's tokens, and JSQuAD, JAQKET and XL-Sum cap their generations in its tokens, so these tasks need the model's GGUF (only its vocabulary is loaded; its EOS token must be the run's). Exit codes: 0 rescored, 2 bad input or refused, 130 interrupted (nothing is written before the end).";
  static override examples = [
    "<%= config.bin %> rescore results/runs/model --data-dir ../shared/datasets",
    "<%= config.bin %> rescore results/runs/model/results_2026-05-01T12-34-56.789000.json --data-dir ../shared/datasets --tokenizer model.gguf --output rescored",
    "<%= config.bin %> rescore results/runs/model --tasks jcommonsenseqa,mgsm --data-dir ../shared/datasets --json",
  ];
  static override args = {
    run: Args.string({ description: "The run: a results file, its model folder, or an --output folder holding one model folder.", required: true }),
  };
  static override flags = {
    output: Flags.string({ char: "o", description: "Folder for the rescored run: its files go to OUT/<model>/ (default: results/rescored; not the source's own folder)." }),
    tasks: Flags.string({ description: "Rescore only these of the run's tasks (comma-separated names or aliases; mmlu: its subjects)." }),
    "data-dir": Flags.string({ description: "Folder holding the datasets the run read (e.g. ../shared/datasets; default: the pull cache). Never downloads." }),
    tokenizer: Flags.string({ description: "The tokenizer the run used: the evaluated model's GGUF (only its vocabulary is loaded), or the --hf-tokenizer files of a run made with them; needed by XL-Sum (ROUGE-2 over model tokens) and by JSQuAD/JAQKET/XL-Sum (generation caps in model tokens)." }),
    json: Flags.boolean({ description: "Print the rescored results JSON to stdout instead of the table.", default: false }),
    quiet: Flags.boolean({ char: "q", description: "No warnings or summary on stderr (errors still print).", default: false }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Rescore);
    const tasks = flags.tasks?.split(",").map((s) => s.trim()).filter(Boolean);
    if (tasks?.length === 0) throw new UserError("usage", `--tasks ${JSON.stringify(flags.tasks)} names no task; give some of the run's task names separated by commas, or leave --tasks out to rescore them all.`);
    const outcome = await rescoreRun({
      run: args.run,
      dataDir: flags["data-dir"] ?? defaultDataDir(),
      ...(flags.output ? { outputDir: flags.output } : {}),
      ...(tasks ? { tasks } : {}),
      ...(flags.tokenizer ? { tokenizer: flags.tokenizer } : {}),
      ...(flags.quiet ? {} : { warn: (line: string) => process.stderr.write(line + "\n") }),
    });
    if (flags.json) this.log(JSON.stringify(outcome.doc, null, 2));
    else {
      this.log(renderResultsTable(outcome.doc, { width: terminalWidth(process.stdout), colours: coloursFor(process.stdout) }));
      for (const n of outcome.doc.rakuten_eval.notes) this.log(`note: ${n}`);
    }
    if (!flags.quiet) {
      const shown = (file: string) => (path.isAbsolute(file) ? path.relative(process.cwd(), file) || "." : file);
      process.stderr.write(`rescored ${shown(outcome.source.file)} into ${shown(outcome.resultsPath)} (${outcome.samplesPaths.length} samples file(s))\n`);
    }
  }
}
