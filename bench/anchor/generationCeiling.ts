// The generation ceiling, measured by llama.cpp's own `llama-batched-bench` rather than
// worked out by us: generation rate (S_TG) of 1, 2 and 4 parallel sequences at the
// workload's own depth (mean prompt tokens, then its mean generated tokens), on the
// benchmark's thread count and on one thread (our one-token steps run on one thread; see
// src/backend/llama/threads.ts). Per-sequence KV caches (`-no-kvu`), as node-llama-cpp
// creates them. llama-bench's tg128 is measured at depth 0, where attention costs nothing,
// so it overstates what any engine can do at MGSM's depth of ~600–900 tokens.

import { median } from "./median.js";

export interface CeilingRow {
  threads: number;
  parallel: number;
  /** Generated tokens per second over all sequences. */
  tokensPerSecond: number;
}

export interface CeilingShape {
  promptTokens: number;
  generatedTokens: number;
  threads: number;
  flashAttention: boolean;
}

export const PARALLEL_SEQUENCES = [1, 2, 4];

/** `llama-batched-bench` arguments for one thread count. */
export function batchedBenchArgs(modelPath: string, shape: CeilingShape, threads: number): string[] {
  const cells = Math.max(...PARALLEL_SEQUENCES) * (shape.promptTokens + shape.generatedTokens) + 256;
  return [
    "-m", modelPath,
    "-c", String(Math.ceil(cells / 256) * 256),
    "-b", "512", "-ub", "512",
    "-npp", String(shape.promptTokens),
    "-ntg", String(shape.generatedTokens),
    "-npl", PARALLEL_SEQUENCES.join(","),
    "-t", String(threads),
    "-fa", shape.flashAttention ? "on" : "off",
    "-no-kvu",
    // The prompt is evaluated once and shared: only the generation (S_TG) is read.
    "-pps",
    "--output-format", "jsonl",
  ];
}

interface BatchedBenchLine {
  pl?: number;
  speed_tg?: number;
}

/** The rows of one run's JSON Lines output (other lines, such as logs, are skipped). */
export function parseBatchedBench(stdout: string, threads: number): CeilingRow[] {
  const rows: CeilingRow[] = [];
  for (const line of stdout.split("\n")) {
    if (!line.startsWith("{")) continue;
    const parsed = JSON.parse(line) as BatchedBenchLine;
    if (typeof parsed.pl === "number" && typeof parsed.speed_tg === "number") rows.push({ threads, parallel: parsed.pl, tokensPerSecond: parsed.speed_tg });
  }
  if (rows.length === 0) throw new Error("llama-batched-bench printed no result rows");
  return rows;
}

/** The thread counts to measure: the benchmark's, and one when that differs. */
export function ceilingThreadCounts(threads: number): number[] {
  return threads > 1 ? [threads, 1] : [threads];
}

/** One row per (threads, parallel), in first-seen order, with the median rate of its runs. */
export function medianRows(rows: readonly CeilingRow[]): CeilingRow[] {
  const groups = new Map<string, CeilingRow[]>();
  for (const row of rows) {
    const key = `${row.threads}:${row.parallel}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.values()].map((group) => ({ threads: group[0]!.threads, parallel: group[0]!.parallel, tokensPerSecond: median(group.map((row) => row.tokensPerSecond)) }));
}
