import { Flags } from "@oclif/core";
import { BaseCommand, EXIT_BAD_INPUT } from "../baseCommand.js";
import { UserError } from "../../util/errors.js";
import { datasetRefs } from "../../datasets/manifests.js";
import { pullDatasets } from "../../datasets/pull.js";
import { suiteDatasetRefs } from "../../tasks/registry.js";
import { defaultDataDir, sourceSettings, SOURCE_MIRROR_ENV } from "../../datasets/sources.js";

export default class DatasetsPull extends BaseCommand {
  static override summary = "Fetch the dataset files of a suite from their official sources, pinned and verified.";
  static override description =
    `Downloads every split file the suite's datasets hold, at the revision pinned in datasets/*.json, converts it where the source's format differs, checks it (sha256, git blob id or record count) and only then puts it in --data-dir. Interrupted downloads resume. The Hugging Face Hub is reached through HF_ENDPOINT (token: HF_TOKEN, sent to the Hub only); every other host can be redirected with --source-base or ${SOURCE_MIRROR_ENV} (one base URL, or origin=target pairs). Set HF_HUB_OFFLINE=1 to forbid the network.`;
  static override examples = [
    "<%= config.bin %> datasets pull --suite ja",
    "<%= config.bin %> datasets pull --suite all --data-dir ./datasets-cache",
    "<%= config.bin %> datasets pull --datasets jnli,jsquad --source-base https://raw.githubusercontent.com=http://mirror.local/gh",
  ];
  static override flags = {
    suite: Flags.string({ description: "Suite whose datasets to fetch.", options: ["ja", "en", "all"], exclusive: ["datasets"] }),
    datasets: Flags.string({ description: "Comma-separated dataset ids (manifest names in datasets/, e.g. jnli,mmlu)." }),
    "data-dir": Flags.string({ description: "Folder to fill (default: $XDG_CACHE_HOME/rakuten-eval/datasets or ~/.cache/rakuten-eval/datasets)." }),
    "source-base": Flags.string({ description: `Redirect non-Hub sources: a base URL (each host becomes a folder under it) or origin=target pairs; overrides ${SOURCE_MIRROR_ENV}.` }),
    json: Flags.boolean({ description: "Print the pull report as JSON.", default: false }),
    quiet: Flags.boolean({ char: "q", description: "No progress bars or lines on stderr.", default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DatasetsPull);
    const ids = flags.datasets?.split(",").map((s) => s.trim()).filter(Boolean);
    if (!flags.suite && !ids) throw new UserError("usage", "Choose what to fetch: --suite ja|en|all or --datasets a,b.");
    const refs = ids ? datasetRefs(ids) : suiteDatasetRefs(flags.suite as "ja" | "en" | "all");
    const dataDir = flags["data-dir"] ?? defaultDataDir();
    const report = await pullDatasets(refs, {
      dataDir,
      settings: sourceSettings(process.env, flags["source-base"]),
      progress: !flags.quiet && !flags.json,
      ...(flags.quiet ? {} : { log: (line: string) => process.stderr.write(line + "\n") }),
    });
    if (flags.json) this.log(JSON.stringify(report, null, 2));
    else {
      for (const f of report.files) this.log(`${f.state.padEnd(7)} ${f.dataset} ${f.split}: ${f.detail}`);
      const counts = new Map<string, number>();
      for (const f of report.files) counts.set(f.state, (counts.get(f.state) ?? 0) + 1);
      this.log(`${[...counts].map(([s, n]) => `${n} ${s}`).join(", ")} in ${report.dataDir}`);
    }
    if (!report.complete) {
      const bad = report.files.filter((f) => f.state === "missing" || f.state === "failed");
      for (const line of report.unreachable) process.stderr.write(`error: ${line}\n`);
      // A rerun would fail the same way while a host is unreachable: say what would help instead.
      const fix = report.unreachable.length > 0 ? "check the network (or a proxy, HF_ENDPOINT, RAKUTEN_EVAL_SOURCE_MIRROR), or copy the datasets from elsewhere and pass --data-dir" : "tasks reading them will be skipped or fail";
      process.stderr.write(`error: ${bad.length} file${bad.length === 1 ? "" : "s"} could not be pulled (see above); ${fix}.\n`);
      process.exitCode = EXIT_BAD_INPUT;
    }
  }
}
