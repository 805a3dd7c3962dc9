// The lines that end a run on stderr: time taken, requests computed and reused, tokens, files written.

import path from "node:path";
import type { PhaseCounts } from "../backend/cachingBackend.js";
import { formatDuration } from "../terminal/progress.js";

/** The figures of a finished run that the summary shows (RunOutcome has them). */
export interface RunSummaryInput {
  durationSeconds: number;
  cache: PhaseCounts[];
  tokensEvaluated: number | null;
  resultsPath: string;
  samplesPaths: string[];
  /** The --format file (openllm-v1 / jp-stable) when one was written. */
  formatPath?: string;
  /** `run --model X.gguf --hf-tokenizer`: its line on how the GGUF's own tokenizer agrees (tokenizerAgreementLine). */
  tokenizerLine?: string;
}

/** A path as the user would type it from `cwd`: relative when inside or near it, else as given. */
export function displayPath(file: string, cwd: string): string {
  const relative = path.relative(cwd, path.resolve(cwd, file));
  return relative === "" ? "." : relative.startsWith(`..${path.sep}..${path.sep}..`) ? path.resolve(cwd, file) : relative;
}

export function runSummary(run: RunSummaryInput, cwd: string): string[] {
  const computed = run.cache.reduce((a, c) => a + c.computed, 0);
  const reused = run.cache.reduce((a, c) => a + c.fromCache, 0);
  const tokens = run.tokensEvaluated === null ? "" : `; ${run.tokensEvaluated.toLocaleString("en-US")} tokens evaluated`;
  return [
    `done in ${formatDuration(run.durationSeconds)}: ${computed} requests computed, ${reused} from the cache${tokens}`,
    ...(run.tokenizerLine ? [run.tokenizerLine] : []),
    `wrote ${1 + run.samplesPaths.length + (run.formatPath ? 1 : 0)} file(s):`,
    ...[run.resultsPath, ...run.samplesPaths, ...(run.formatPath ? [run.formatPath] : [])].map((f) => `  ${displayPath(f, cwd)}`),
  ];
}
