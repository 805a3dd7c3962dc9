import { Args, Flags } from "@oclif/core";
import { BaseCommand } from "./baseCommand.js";
import { UserError, UserErrors } from "../util/errors.js";
import { labelProblem } from "../util/displayText.js";
import { compareRuns } from "../compare/compare.js";
import { DEFAULT_COMPARE_OPTIONS } from "../compare/comparisonTypes.js";
import { distinctLabels, loadScores, runScores } from "../results/read.js";
import { resultsChoiceLines } from "../results/choice.js";
import { renderComparison, type CompareFormat } from "../report/comparison.js";
import { coloursFor } from "../terminal/colour.js";
import { terminalWidth } from "../terminal/width.js";
import type { TokenizerHandle } from "../backend/tokenizers/load.js";
import { openTokenizer } from "../run/tokenizerChoice.js";

/** A non-negative decimal such as 1 or 0.5. */
function parsePoints(flag: string, value: string): number {
  if (!/^\d+(\.\d+)?$/.test(value.trim())) throw new UserError("usage", `${flag} "${value}" is not a non-negative number of points (e.g. ${flag} 1.5).`);
  return Number(value);
}

/** `--allow-missing jcs,xlsum_ja` (repeatable, or comma-separated): names as given; the comparison resolves them. */
export function parseNameList(values: readonly string[]): string[] {
  return values.flatMap((s) => s.split(",")).map((s) => s.trim()).filter((s) => s !== "");
}

/** `--max-drop-task jnli-1.1-0.3=3` (repeatable, or comma-separated). */
export function parseMaxDropTask(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values.flatMap((s) => s.split(","))) {
    if (v.trim() === "") continue;
    const m = /^\s*([^=\s]+)\s*=\s*(\S+)\s*$/.exec(v);
    if (!m) throw new UserError("usage", `--max-drop-task "${v}" is not TASK=POINTS (e.g. --max-drop-task jnli-1.1-0.3=3).`);
    out[m[1]!] = parsePoints(`--max-drop-task ${m[1]}`, m[2]!);
  }
  return out;
}

export default class Compare extends BaseCommand {
  static override summary = "Compare a run with a baseline run or the paper's figures, and gate on drops larger than allowed.";
  static override description =
    "Per paper column and per suite average: both scores, the difference, its confidence interval and p-value from one test, the Holm-adjusted p and the smallest drop the test could detect. Runs are paired on the docs both scored (exact McNemar with its inverted exact interval for accuracy and exact match, a seeded paired bootstrap for ROUGE-2, mc2 and MMLU's macro mean); a published baseline is tested unpaired. Runs that cannot be compared (incomplete, samples that do not match their results, different shots/versions/prompts/tokenization/datasets, a --limit run against the paper) are refused unless an --allow-... flag says otherwise. A run is given as a results file, its model folder (the newest results_<date>.json there) or the --output folder holding one model folder; the baseline may also be a results file of lm-evaluation-harness v0.4, whose tasks are mapped to ours (arc_challenge, hellaswag, mmlu_<subject>, truthfulqa_mc1/mc2) and paired through its samples_<task>_<date>.jsonl beside it. The gate: a row fails when its interval (drawn at the level Holm's adjustment tests it at) lies wholly below −(its max drop), i.e. the data show it dropped by more than --max-drop (or its --max-drop-task override): a one-sided test of “dropped by at most the max drop”; with --max-drop 0 (the default), any significant drop fails. --non-inferiority turns it round: a row passes only when its interval at --alpha lies wholly above −(its max drop) and its test could have detected that drop. A task or average of the baseline absent from the new run fails unless --allow-missing names it. Exit code 1 when a row fails or the comparison is not comparable; 0 otherwise; 2 on bad input, a refused comparison, or a comparison in which no row could be tested.";
  static override examples = [
    "<%= config.bin %> compare results/runs/new --baseline results/runs/accepted",
    "<%= config.bin %> compare results/runs/new-model --baseline published:rakutenai-7b --max-drop 1",
    "<%= config.bin %> compare results/runs/new-model --baseline lm-eval-out/org__model/results_2024-05-01T12-00-00.000000.json",
    "<%= config.bin %> compare new --baseline old --max-drop 1 --max-drop-task jnli-1.1-0.3=3 --format markdown",
    "<%= config.bin %> compare new --baseline old --max-drop 1 --non-inferiority",
    "<%= config.bin %> compare new --baseline old --allow-missing jaqket_v2",
    "<%= config.bin %> compare new --baseline old --json",
    "<%= config.bin %> compare q4 --baseline f16 --quantisation --tokenizer model-F16.gguf",
  ];
  static override args = {
    results: Args.string({ description: "The new run: a results file or a run folder.", required: true }),
  };
  static override flags = {
    baseline: Flags.string({
      char: "b",
      description: "The baseline: a results file of rakuten-eval or lm-evaluation-harness v0.4 (its samples_<task>_<date>.jsonl beside it pair the docs), a folder as for the new run, or published:<model id> from the paper's tables (published:rakutenai-7b).",
      required: true,
    }),
    "max-drop": Flags.string({
      description:
        "Largest allowed drop in points, per task and per average: a row fails only when its interval shows a drop larger than this (e.g. Δ −1.5 [−3.0, −0.1] passes --max-drop 1: a drop of 1 fits the data). Default 0: any significant drop fails.",
      default: "0",
    }),
    "non-inferiority": Flags.boolean({
      description:
        "Release rule: a row passes only when its interval at --alpha lies wholly above −(its max drop), i.e. the data show it dropped by less than allowed, and its test could detect a drop of that size (MDD ≤ max drop); needs a max drop above 0 for every row.",
      default: false,
    }),
    "allow-missing": Flags.string({
      description: "Tasks or averages (any name or alias `run` accepts, a paper column or an average id) that may be absent from the new run; otherwise a baseline row absent from the new run fails the gate. Repeatable or comma-separated.",
      multiple: true,
      multipleNonGreedy: true,
    }),
    "max-drop-task": Flags.string({
      description: "Per-task (or average) override, TASK=POINTS, TASK being any name or alias `run` accepts (jcs=3), a paper column or an average id; repeatable.",
      multiple: true,
      multipleNonGreedy: true,
    }),
    label: Flags.string({ description: "Label of the new run in the output (default: the label recorded at run time, else model name, plus the folder when both sides share it)." }),
    "baseline-label": Flags.string({ description: "Label of the baseline in the output." }),
    quantisation: Flags.boolean({
      description:
        "Also report, per task, how often both runs chose the same answer, the mean and max |Δ log-likelihood| per choice (and per token with --tokenizer), and the docs where they disagree most (for two GGUFs of one model, e.g. F16 vs Q4_K_M).",
      default: false,
    }),
    tokenizer: Flags.string({
      description:
        "The tokenizer the runs were evaluated with: a GGUF (either quantisation: they share the vocabulary; only it is loaded) or Hugging Face tokenizer files. Adds |Δ log-likelihood| per continuation token, counted as the backend scored it. Implies --quantisation.",
    }),
    "hf-tokenizer": Flags.string({
      description: "The model's own Hugging Face tokenizer (folder with tokenizer.json or tokenizer.model), for runs made with run --hf-tokenizer: counts continuation tokens as those runs did. Implies --quantisation.",
      exclusive: ["tokenizer"],
    }),
    "allow-partial": Flags.boolean({ description: "Compare a run whose results.json says complete: false (the output says so).", default: false }),
    "allow-config-mismatch": Flags.boolean({
      description: "Compare tasks whose shots, task or prompt version, tokenization rule or dataset checksums differ (the rows are marked not comparable).",
      default: false,
    }),
    "allow-limit": Flags.boolean({ description: "Show a --limit run beside the paper's full-split figures; every row is marked not comparable and the gate cannot pass.", default: false }),
    alpha: Flags.string({ description: "Significance level (intervals are 1 - alpha).", default: "0.05" }),
    format: Flags.string({ description: "Output format.", options: ["table", "markdown", "json"], default: "table" }),
    json: Flags.boolean({ description: "Shorthand for --format json.", default: false }),
    "bootstrap-iterations": Flags.integer({ description: "Resamples of the paired bootstrap.", default: DEFAULT_COMPARE_OPTIONS.bootstrapIterations }),
    seed: Flags.integer({ description: "Seed of the paired bootstrap.", default: DEFAULT_COMPARE_OPTIONS.seed }),
  };

  async run(): Promise<void> {
    const { args, flags } = await this.parse(Compare);
    const labelProblems = (["label", "baseline-label"] as const).flatMap((f) => {
      const value = flags[f];
      const problem = value === undefined ? null : labelProblem(f, value);
      return problem ? [new UserError("usage", problem)] : [];
    });
    if (labelProblems.length > 0) throw new UserErrors(labelProblems);
    const alpha = Number(flags.alpha);
    if (!/^\d*\.?\d+$/.test(flags.alpha) || !(alpha > 0 && alpha < 1)) throw new UserError("usage", `--alpha ${flags.alpha} must be a number strictly between 0 and 1 (e.g. 0.05).`);
    if (flags["bootstrap-iterations"] < 1) throw new UserError("usage", `--bootstrap-iterations ${flags["bootstrap-iterations"]} must be at least 1.`);
    const options = {
      alpha,
      maxDrop: parsePoints("--max-drop", flags["max-drop"]),
      maxDropTask: parseMaxDropTask(flags["max-drop-task"] ?? []),
      rule: flags["non-inferiority"] ? ("non-inferiority" as const) : ("drop" as const),
      allowMissing: parseNameList(flags["allow-missing"] ?? []),
      bootstrapIterations: flags["bootstrap-iterations"],
      seed: flags.seed,
      allowPartial: flags["allow-partial"],
      allowConfigMismatch: flags["allow-config-mismatch"],
      allowLimit: flags["allow-limit"],
      agreement: flags.quantisation || flags.tokenizer !== undefined || flags["hf-tokenizer"] !== undefined,
    };
    const format: CompareFormat = flags.json ? "json" : (flags.format as CompareFormat);
    const newRun = runScores(args.results);
    const baseRun = loadScores(flags.baseline);
    // A folder stands for its newest results file: say which, and warn when an older one covers more.
    for (const line of [...resultsChoiceLines(args.results, "new run"), ...resultsChoiceLines(flags.baseline, "baseline")]) process.stderr.write(`${line}\n`);
    if (flags.label !== undefined) newRun.label = flags.label;
    if (flags["baseline-label"] !== undefined) baseRun.label = flags["baseline-label"];
    // Two runs of one model file would otherwise share a label: add their folders.
    if (flags.label === undefined || flags["baseline-label"] === undefined) distinctLabels([baseRun, newRun]);
    // The vocabulary alone (no weights, no hash); a missing or corrupt file is a one-line error, as for --model.
    const tokenizer: TokenizerHandle | undefined =
      flags.tokenizer !== undefined || flags["hf-tokenizer"] !== undefined ? await openTokenizer({ tokenizer: flags.tokenizer, hfTokenizer: flags["hf-tokenizer"] }, "compare") : undefined;
    let comparison;
    try {
      comparison = compareRuns(newRun, baseRun, { ...options, ...(tokenizer ? { tokenizer } : {}) });
    } finally {
      await tokenizer?.dispose();
    }
    // A gate that compared nothing has not passed, and has nothing to show.
    if (comparison.nothingTested !== null) {
      throw new UserError("usage", `nothing comparable: no row could be tested (${comparison.nothingTested}); compare the new run with a baseline that scored the same tasks.`);
    }
    this.log(renderComparison(comparison, format, coloursFor(process.stdout), terminalWidth(process.stdout)));
    if (comparison.failed) process.exitCode = 1;
  }
}
