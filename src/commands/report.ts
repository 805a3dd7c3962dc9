import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "./baseCommand.js";
import { writeReport } from "../report/write.js";
import { resultsChoiceLines } from "../results/choice.js";

export default class Report extends BaseCommand {
  static override summary = "Write a Markdown summary and a self-contained HTML page (charts per suite) of one or more runs.";
  static override description =
    "Reads results files of rakuten-eval or lm-evaluation-harness v0.4 (or run folders: the newest results_<date>.json in a model folder), and writes report.md and report.html to --output: per suite, a table with the shots used and an inline-SVG bar chart with 95% error bars comparing the runs with the paper's published figures; then a per-document explorer of the runs' samples files (prompt, choices or generation, gold, each run's answer and log-likelihoods; search, and filters for runs that disagree, docs all runs get wrong, and docs changed since the first run, the baseline). The HTML page is one file that needs no network (inline CSS, SVG, data and script). Model files are named without their folders. The Markdown is also printed to stdout.";
  static override examples = [
    "<%= config.bin %> report results/runs/RakutenAI-7B-Q4_K_M",
    "<%= config.bin %> report results/runs/q8 results/runs/q4 --output report --published rakutenai-7b",
    "<%= config.bin %> report new/org__model/results_2024-05-01T12-00-00.000000.json --published none --title \"Nightly checkpoint\"",
  ];
  static override strict = false;
  static override usage = "report RESULTS... [-o <value>] [--published <value>] [--title <value>] [--no-explorer] [-q]";
  static override args = {
    results: Args.string({ description: "results files (ours or lm-eval v0.4's) or run folders", required: true }),
  };
  static override flags = {
    output: Flags.string({ char: "o", description: "Folder for report.md and report.html.", default: "report" }),
    published: Flags.string({
      description: "Published models to show beside the runs: comma-separated ids of the paper's tables (or aliases such as rakutenai-7b), or none.",
      default: "rakuten-ai-7b,rakuten-ai-7b-instruct",
    }),
    title: Flags.string({ description: "Title of the report.", default: "rakuten-eval report" }),
    quiet: Flags.boolean({ char: "q", description: "Do not print the Markdown to stdout.", default: false }),
    "no-explorer": Flags.boolean({ description: "Leave the per-document explorer out of report.html (a smaller file).", default: false }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Report);
    const results = argv.map(String);
    const published = flags.published.trim() === "none" ? [] : flags.published.split(",").map((s) => s.trim()).filter(Boolean);
    // A folder stands for its newest results file: say which, and warn when an older one covers more.
    for (const line of results.flatMap((r) => resultsChoiceLines(r, `run ${r}`))) process.stderr.write(`${line}\n`);
    const outcome = writeReport({ results, published, outputDir: flags.output, title: flags.title, noExplorer: flags["no-explorer"] });
    if (!flags.quiet) this.log(outcome.markdown);
    process.stderr.write(`wrote ${outcome.markdownPath}\nwrote ${outcome.htmlPath}\n`);
  }
}
