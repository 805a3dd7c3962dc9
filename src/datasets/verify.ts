// `datasets verify`: a full check of every present split file against its manifest entry. Apart
// from pulling because it reads only what is there and never fetches.

import path from "node:path";
import { checkSplit, loadSplit } from "./loadSplit.js";
import { datasetRefs } from "./manifests.js";

export interface VerifyFileResult {
  dataset: string;
  split: string;
  path: string;
  state: "ok" | "mismatch" | "missing";
  /** What vouched for the file, or what differs. */
  detail: string;
}

export interface VerifyReport {
  dataDir: string;
  files: VerifyFileResult[];
  /** Files present and checked. */
  checked: number;
  mismatches: number;
  missing: number;
}

/**
 * Full check of every present split file (`datasets verify`): its sha256 or git blob id where one
 * is pinned, and its record count (the only check for files with nothing pinned).
 */
export async function verifyDatasets(dataDir: string): Promise<VerifyReport> {
  const files: VerifyFileResult[] = [];
  for (const ref of datasetRefs()) {
    const check = await checkSplit(dataDir, ref, { hash: true });
    const base = { ...ref, path: check.path };
    if (check.state === "missing") {
      files.push({ ...base, state: "missing", detail: "not present" });
      continue;
    }
    if (check.state === "mismatch") {
      files.push({ ...base, state: "mismatch", detail: check.detail });
      continue;
    }
    try {
      const loaded = await loadSplit(dataDir, ref);
      files.push({ ...base, state: "ok", detail: `${loaded.verified === "count-only" ? "record count" : loaded.verified} verified${loaded.partial ? " (stand-in)" : ""}` });
    } catch (e) {
      files.push({ ...base, state: "mismatch", detail: (e as Error).message });
    }
  }
  return {
    dataDir: path.resolve(dataDir),
    files,
    checked: files.filter((f) => f.state !== "missing").length,
    mismatches: files.filter((f) => f.state === "mismatch").length,
    missing: files.filter((f) => f.state === "missing").length,
  };
}
