import { Flags } from "@oclif/core";
import { BaseCommand } from "./baseCommand.js";
import { mergeShards } from "../merge/merge.js";
import { renderResultsTable } from "../report/table.js";

export default class Merge extends BaseCommand {
  static override summary = "Merge the shards of a run (`run --shard i/N`) into the results of the whole run.";
  static override description =
    "Reads the results and samples of every shard, checks that they are shards 1..N of one run (same model, engine settings, harness, tasks, shots, versions, datasets, --limit and seeds) and that together they score every doc exactly once, then writes a results file and samples files equal to the unsharded run's, in lm-evaluation-harness's layout (OUT/<model>/results_<date>.json, samples_<task>_<date>.jsonl): the shards' per-doc records in the run's order, aggregated by the evaluator's own code. Each shard may be given as its --output folder, its model folder or its results file. A missing, repeated or mismatched shard is refused with one line each (exit 2) before anything is written.";
  static override examples = [
    "<%= config.bin %> merge shards/* --output merged",
    "<%= config.bin %> merge shards/1 shards/2 shards/3 --output merged --json",
  ];
  static override strict = false;
  static override args = {};
  static override flags = {
    output: Flags.string({ char: "o", description: "Folder for the merged run: its files go to OUT/<model>/ as `run --output` writes them (not a shard's folder).", required: true }),
    json: Flags.boolean({ description: "Print the merged results JSON to stdout instead of the table.", default: false }),
    quiet: Flags.boolean({ char: "q", description: "No progress lines on stderr.", default: false }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Merge);
    const outcome = await mergeShards({
      inputs: argv.map(String),
      outputDir: flags.output,
      ...(flags.quiet ? {} : { log: (line: string) => process.stderr.write(line + "\n") }),
    });
    if (flags.json) {
      this.log(JSON.stringify(outcome.doc, null, 2));
      return;
    }
    this.log(renderResultsTable(outcome.doc));
    for (const n of outcome.doc.rakuten_eval.notes) this.log(`note: ${n}`);
    this.log(`results: ${outcome.resultsPath} (merged from ${outcome.shards} shards)`);
  }
}
