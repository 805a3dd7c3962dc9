import { Flags } from "@oclif/core";
import { BaseCommand, EXIT_BAD_INPUT } from "../baseCommand.js";
import { verifyDatasets } from "../../datasets/verify.js";
import { defaultDataDir } from "../../datasets/sources.js";

export default class DatasetsVerify extends BaseCommand {
  static override summary = "Check every dataset file present in the data folder against its manifest (full sha256, git blob id or record count); exit 2 on a mismatch.";
  static override examples = ["<%= config.bin %> datasets verify", "<%= config.bin %> datasets verify --data-dir ../shared/datasets --json"];
  static override flags = {
    "data-dir": Flags.string({ description: "Folder to check (default: $XDG_CACHE_HOME/rakuten-eval/datasets or ~/.cache/rakuten-eval/datasets)." }),
    json: Flags.boolean({ description: "Print the per-file result as JSON.", default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DatasetsVerify);
    const dataDir = flags["data-dir"] ?? defaultDataDir();
    const result = await verifyDatasets(dataDir);
    if (flags.json) this.log(JSON.stringify(result, null, 2));
    else {
      for (const f of result.files) if (f.state === "mismatch") this.log(`MISMATCH ${f.dataset} ${f.split}: ${f.path}: ${f.detail}`);
      this.log(`${result.checked} files checked in ${dataDir}: ${result.mismatches} mismatched, ${result.missing} splits missing.`);
    }
    if (result.mismatches > 0) {
      process.stderr.write(`error: ${result.mismatches} dataset file${result.mismatches === 1 ? "" : "s"} differ from the manifests; delete them and run \`rakuten-eval datasets pull\`.\n`);
      process.exitCode = EXIT_BAD_INPUT;
    }
  }
}
