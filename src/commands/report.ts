import { Flags } from "@oclif/core";
import { BaseCommand } from "./baseCommand.js";
import { writeReport } from "../report/write.js";

export default class Report extends BaseCommand {
  static override summary = "Write a Markdown summary and a self-contained HTML page (charts per suite) of one or more runs.";
  static override description =
    "Reads results files of rakuten-eval or lm-evaluation-harness v0.4 (or run folders: the newest results_<date>.json in a model folder), and writes report.md and report.html to --output: per suite, a table and an inline-SVG bar chart comparing the runs with the paper's published figures. The HTML page needs no network (inline CSS and SVG, no scripts). The Markdown is also printed to stdout.";
  static override examples = [
    "<%= config.bin %> report results/runs/RakutenAI-7B-Q4_K_M",
    "<%= config.bin %> report results/runs/q8 results/runs/q4 --output report --published rakutenai-7b",
    "<%= config.bin %> report new/org__model/results_2024-05-01T12-00-00.000000.json --published none --title \"Nightly checkpoint\"",
  ];
  // The run arguments are variadic (strict = false), which oclif's generated usage line leaves out.
  static override usage = "report RESULTS... [FLAGS]";
  static override strict = false;
  static override args = {};
  static override flags = {
    output: Flags.string({ char: "o", description: "Folder for report.md and report.html.", default: "report" }),
    published: Flags.string({
      description: "Published models to show beside the runs: comma-separated ids of the paper's tables (or aliases such as rakutenai-7b), or none.",
      default: "rakuten-ai-7b,rakuten-ai-7b-instruct",
    }),
    title: Flags.string({ description: "Title of the report.", default: "rakuten-eval report" }),
    quiet: Flags.boolean({ char: "q", description: "Do not print the Markdown to stdout.", default: false }),
  };

  async run(): Promise<void> {
    const { argv, flags } = await this.parse(Report);
    const results = argv.map(String);
    const published = flags.published.trim() === "none" ? [] : flags.published.split(",").map((s) => s.trim()).filter(Boolean);
    const outcome = writeReport({ results, published, outputDir: flags.output, title: flags.title });
    if (!flags.quiet) this.log(outcome.markdown);
    process.stderr.write(`wrote ${outcome.markdownPath}\nwrote ${outcome.htmlPath}\n`);
  }
}
