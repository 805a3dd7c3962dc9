// `run --shard i/N`: one runner's share of a run split across N runners (a CI matrix, a
// Kubernetes Indexed Job). The plan is built whole, exactly as an unsharded run builds it (the
// seed-42 shuffle, `--limit`, every few-shot draw of every doc in shuffled order, so the picks of
// doc k never depend on which shard scores it), and only then are docs dealt out. The record
// written into the shard's results file says which docs it scored and holds what `merge` needs
// to rebuild the unsharded run's results from the shards' samples.

import type { PartialSplitFile } from "../datasets/manifestTypes.js";
import type { LoadedSplit } from "../datasets/loadSplit.js";
import { UserError } from "../util/errors.js";
import type { PlannedTask } from "../evaluation/taskPlan.js";

/** Shard `index` of `count`, 1-based: `--shard 1/8` … `--shard 8/8`. */
export interface ShardSpec {
  index: number;
  count: number;
}

/**
 * How docs are dealt, recorded so that a reader need not know this code: the run's docs in
 * evaluation order (tasks in plan order, each task's docs in shuffled order after --limit) are
 * numbered k = 0, 1, 2, …, and doc k goes to shard (k mod N) + 1. Round-robin over the whole run
 * rather than per task, so that small tasks (an MMLU subject with --limit 2) do not all land on
 * shard 1 and every shard gets within one doc of the same count.
 */
export const SHARD_RULE = "round-robin: the k-th doc (0-based) of the run's evaluation order (tasks in plan order, docs in shuffled order) goes to shard (k mod N) + 1";

/** A split as the results record it and merge needs it back (the records themselves are not kept). */
export interface ShardSplitRecord {
  path: string;
  sha256: string;
  records: number;
  verified: LoadedSplit["verified"];
  partial: PartialSplitFile | null;
  warnings: string[];
}

/** One task of a shard: the unsharded plan's facts, and this shard's part of it. */
export interface ShardTaskRecord {
  task: string;
  group?: string;
  shots: number;
  requested_shots: number;
  shots_note?: string;
  /** Docs in the eval split before --limit. */
  n_original: number;
  /** Docs the unsharded run evaluates (after --limit); the shards together cover 0 … planned_docs - 1. */
  planned_docs: number;
  /** Positions in the shuffled order (samples' `shuffled_index`) of the docs this shard scored, ascending. */
  shuffled_indices: number[];
  splits: { eval: ShardSplitRecord; fewshot?: ShardSplitRecord };
}

/** `rakuten_eval.shard` of a shard's results file. */
export interface ShardRecord {
  index: number;
  count: number;
  rule: string;
  /** Every planned task in plan order, including those this shard has no doc of. */
  tasks: ShardTaskRecord[];
}

const SHARD_SYNTAX = /^\s*(\d+)\s*\/\s*(\d+)\s*$/;

/** Parse `--shard i/N` (1 ≤ i ≤ N); one line naming the problem and the fix otherwise. */
export function parseShardFlag(raw: string): { shard?: ShardSpec; problem?: UserError } {
  const m = SHARD_SYNTAX.exec(raw);
  const index = m ? Number(m[1]) : NaN;
  const count = m ? Number(m[2]) : NaN;
  if (!m || !Number.isSafeInteger(index) || !Number.isSafeInteger(count) || count < 1 || index < 1 || index > count) {
    return {
      problem: new UserError(
        "usage",
        `--shard ${JSON.stringify(raw)} must be i/N with 1 ≤ i ≤ N (1-based: --shard 1/8 … --shard 8/8; from a 0-based Kubernetes JOB_COMPLETION_INDEX pass $((JOB_COMPLETION_INDEX + 1))/N).`,
      ),
    };
  }
  return { shard: { index, count } };
}

/** The shard (1-based) that scores the k-th doc (0-based) of a run's evaluation order. */
export function shardOfPosition(k: number, count: number): number {
  return (k % count) + 1;
}

function splitRecord(split: LoadedSplit): ShardSplitRecord {
  return { path: split.path, sha256: split.sha256, records: split.records.length, verified: split.verified, partial: split.partial, warnings: [...(split.warnings ?? [])] };
}

/**
 * This shard's part of a whole plan: the same tasks in the same order, each with only the docs
 * dealt to it (their requests, contexts and few-shot picks untouched), and the record to publish.
 */
export function selectShard(planned: readonly PlannedTask[], spec: ShardSpec): { planned: PlannedTask[]; record: ShardRecord } {
  let k = 0;
  const tasks: ShardTaskRecord[] = [];
  const mine = planned.map((p) => {
    const docs = p.docs.filter(() => shardOfPosition(k++, spec.count) === spec.index);
    tasks.push({
      task: p.task.name,
      ...(p.group ? { group: p.group } : {}),
      shots: p.shots,
      requested_shots: p.requestedShots,
      ...(p.shotsNote ? { shots_note: p.shotsNote } : {}),
      n_original: p.nOriginal,
      planned_docs: p.docs.length,
      shuffled_indices: docs.map((d) => d.shuffledIndex),
      splits: { eval: splitRecord(p.data.eval), ...(p.data.fewshot ? { fewshot: splitRecord(p.data.fewshot) } : {}) },
    });
    return { ...p, docs };
  });
  return { planned: mine, record: { index: spec.index, count: spec.count, rule: SHARD_RULE, tasks } };
}

/** The note a shard's results carry (and its table prints). */
export function shardNote(spec: ShardSpec, docs: number, of: number): string {
  return `shard ${spec.index}/${spec.count}: ${docs} of the run's ${of} docs; not a full run — merge all ${spec.count} shards with \`rakuten-eval merge\` before comparing or reporting`;
}
