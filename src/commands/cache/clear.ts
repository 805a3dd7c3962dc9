import { Flags } from "@oclif/core";
import { BaseCommand } from "../baseCommand.js";
import { defaultCacheDir } from "../../cache/location.js";
import { clearCache } from "../../cache/maintenance.js";

export default class CacheClear extends BaseCommand {
  static override summary = "Delete the request cache (only its database file; downloaded datasets stay).";
  static override examples = ["<%= config.bin %> cache clear", "<%= config.bin %> cache clear --cache-dir /tmp/cache"];
  static override flags = {
    "cache-dir": Flags.string({ description: "Request cache folder (default: $XDG_CACHE_HOME/rakuten-eval or ~/.cache/rakuten-eval)." }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(CacheClear);
    const result = clearCache(flags["cache-dir"] ?? defaultCacheDir());
    if (!result.removed) this.log(`No request cache at ${result.file}; nothing to clear.`);
    else this.log(`Removed ${result.file}${result.answers === null ? " (unreadable)" : ` (${result.answers} answers)`}.`);
  }
}
