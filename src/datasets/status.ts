// What a `datasets list` command shows: for every manifest split, whether its file is in the data
// directory (official, a partial stand-in, or missing), its size and licence. Cheap: no hashing
// unless asked.

import { checkSplit, type SplitState } from "./loadSplit.js";
import { allManifests } from "./manifests.js";

export interface SplitStatus {
  dataset: string;
  title: string;
  split: string;
  license: string;
  state: SplitState;
  /** Relative to the data directory: the file found, or the expected official path. */
  path: string;
  /** Bytes of the file found; null when missing. */
  size: number | null;
  /** Records the official split has. */
  records: number;
  detail: string;
}

export async function datasetStatus(dataDir: string, options: { hash?: boolean } = {}): Promise<SplitStatus[]> {
  const rows: SplitStatus[] = [];
  for (const manifest of allManifests()) {
    for (const [split, entry] of Object.entries(manifest.splits)) {
      const check = await checkSplit(dataDir, { dataset: manifest.id, split }, options);
      rows.push({
        dataset: manifest.id,
        title: manifest.title,
        split,
        license: manifest.license,
        state: check.state,
        path: check.path,
        size: check.size,
        records: entry.records,
        detail: check.detail,
      });
    }
  }
  return rows;
}
