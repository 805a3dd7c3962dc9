import { Flags } from "@oclif/core";
import Table from "cli-table3";
import { BaseCommand } from "../baseCommand.js";
import { datasetStatus, type SplitStatus } from "../../datasets/status.js";
import { defaultDataDir } from "../../datasets/sources.js";

export interface DatasetSummary {
  dataset: string;
  title: string;
  license: string;
  /** present: every split official; partial: some split missing or a stand-in; missing: none there; mismatch: a file of another size. */
  state: "present" | "partial" | "missing" | "mismatch";
  splits: { total: number; present: number; partial: number; missing: number; mismatch: number };
  bytes: number;
}

export function summarizeStatus(rows: SplitStatus[]): DatasetSummary[] {
  const byDataset = new Map<string, DatasetSummary>();
  for (const r of rows) {
    let s = byDataset.get(r.dataset);
    if (!s) {
      s = { dataset: r.dataset, title: r.title, license: r.license, state: "missing", splits: { total: 0, present: 0, partial: 0, missing: 0, mismatch: 0 }, bytes: 0 };
      byDataset.set(r.dataset, s);
    }
    s.splits.total++;
    s.splits[r.state]++;
    s.bytes += r.size ?? 0;
  }
  for (const s of byDataset.values()) {
    s.state = s.splits.mismatch > 0 ? "mismatch" : s.splits.present === s.splits.total ? "present" : s.splits.missing === s.splits.total ? "missing" : "partial";
  }
  return [...byDataset.values()];
}

export default class DatasetsList extends BaseCommand {
  static override summary = "Show which dataset files are in the data folder: present, partial or missing, with size and licence.";
  static override examples = ["<%= config.bin %> datasets list", "<%= config.bin %> datasets list --data-dir ../shared/datasets --splits", "<%= config.bin %> datasets list --json"];
  static override flags = {
    "data-dir": Flags.string({ description: "Folder to inspect (default: $XDG_CACHE_HOME/rakuten-eval/datasets or ~/.cache/rakuten-eval/datasets)." }),
    splits: Flags.boolean({ description: "One row per split instead of per dataset.", default: false }),
    json: Flags.boolean({ description: "Print the per-split status as JSON.", default: false }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(DatasetsList);
    const dataDir = flags["data-dir"] ?? defaultDataDir();
    const rows = await datasetStatus(dataDir);
    if (flags.json) {
      this.log(JSON.stringify({ dataDir, datasets: summarizeStatus(rows), splits: rows }, null, 2));
      return;
    }
    const table = new Table({ head: flags.splits ? ["dataset", "split", "state", "size", "file"] : ["dataset", "state", "splits", "size", "license"] });
    if (flags.splits) for (const r of rows) table.push([r.dataset, r.split, r.state, r.size === null ? "–" : formatBytes(r.size), r.path]);
    else for (const s of summarizeStatus(rows)) table.push([s.dataset, s.state, `${s.splits.present}/${s.splits.total}${s.splits.partial ? ` (+${s.splits.partial} partial)` : ""}`, s.bytes ? formatBytes(s.bytes) : "–", s.license]);
    this.log(`data folder: ${dataDir}`);
    this.log(table.toString());
  }
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(1)} MiB`;
}
