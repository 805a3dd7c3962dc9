// What `datasets pull` (and `run`, through ensureDatasets) reports per split file, and the
// options it takes: kept apart so the fetcher (pullSource.ts) can use them without importing the
// planner (pull.ts), which imports it.

import type { SourceSettings } from "./sources.js";

export type PullState =
  /** Already there and verified (nothing fetched). */
  | "present"
  /** Fetched and verified now. */
  | "pulled"
  /** The official source has no such file; a pinned stand-in was fetched instead. */
  | "partial"
  /** Not obtained: no source pinned, the source has no such file, or offline. */
  | "missing"
  /** Fetched, but it failed verification (changed upstream) or the transfer failed. */
  | "failed";

export interface PullFileResult {
  dataset: string;
  split: string;
  /** The file in the data folder (relative, as in the manifest). */
  path: string;
  state: PullState;
  /** How the file was checked: pinned sha256, git blob id, or only its record count. */
  verified?: "sha256" | "gitBlobSha1" | "count-only";
  /** The pinned source address (never a mirror's, never a token). */
  source?: string;
  /** One line: what happened or why not. */
  detail: string;
}

export interface PullOptions {
  dataDir: string;
  /** Source addresses and Hub token; default: from the environment (HF_ENDPOINT, HF_TOKEN, RAKUTEN_EVAL_SOURCE_MIRROR). */
  settings?: SourceSettings;
  /** Never touch the network: only report what is there (also when HF_HUB_OFFLINE or RAKUTEN_EVAL_OFFLINE is 1). */
  offline?: boolean;
  /** Progress bars on stderr (only drawn when stderr is a terminal). */
  progress?: boolean;
  /** One line per event (resumes, files pulled); never receives the token. */
  log?: (line: string) => void;
}

export interface PullReport {
  dataDir: string;
  files: PullFileResult[];
  /** True when every requested file is present (official or a stand-in) and verified. */
  complete: boolean;
  /** One line per host that could not be reached for a reason a retry does not cure (`cannot reach huggingface.co: DNS lookup failed (ENOTFOUND); 3 files not fetched from it`). */
  unreachable: string[];
}
