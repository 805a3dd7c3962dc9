import { oneLine } from "../../util/oneLine.js";
import { Flags } from "@oclif/core";
import { BaseCommand } from "../baseCommand.js";
import { defaultCacheDir } from "../../cache/location.js";
import { cacheStats } from "../../cache/maintenance.js";
import { UserError } from "../../util/errors.js";

export default class CacheStats extends BaseCommand {
  static override summary = "Show what the request cache holds: answers per model and engine settings.";
  static override examples = ["<%= config.bin %> cache stats", "<%= config.bin %> cache stats --cache-dir /tmp/cache --json"];
  static override flags = {
    "cache-dir": Flags.string({ description: "Request cache folder (default: $XDG_CACHE_HOME/rakuten-eval or ~/.cache/rakuten-eval)." }),
    json: Flags.boolean({ description: "Print the statistics as JSON.", default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(CacheStats);
    const cacheDir = flags["cache-dir"] ?? defaultCacheDir();
    let stats;
    try {
      stats = cacheStats(cacheDir);
    } catch (error) {
      if (error instanceof UserError) throw error; // a folder in the file's place, a full disk: named already
      const message = oneLine(error);
      throw new UserError("usage", `Cannot read the request cache in ${cacheDir} (${message}); \`rakuten-eval cache clear --cache-dir ${cacheDir}\` removes it.`);
    }
    if (flags.json) {
      this.log(JSON.stringify(stats, null, 2));
      return;
    }
    if (!stats.exists) {
      this.log(`No request cache at ${stats.file}.`);
      return;
    }
    this.log(`${stats.file}: ${stats.answers} answers (${stats.loglikelihood} loglikelihood, ${stats.generate} generate), ${(stats.sizeBytes / 1048576).toFixed(1)} MiB`);
    for (const s of stats.settings) {
      const d = s.description;
      const model = typeof d["modelPath"] === "string" ? d["modelPath"] : "?";
      const sha = typeof d["modelSha256"] === "string" ? d["modelSha256"].slice(0, 12) : "?";
      this.log(
        `  ${model} (sha256 ${sha}…, kv ${String(d["kvCacheType"])}, flash attention ${String(d["flashAttention"])}, context ${String(d["contextSize"])}): ` +
          `${s.loglikelihood} loglikelihood, ${s.generate} generate${s.lastWrite ? `, last written ${s.lastWrite}` : ""}`,
      );
    }
  }
}
