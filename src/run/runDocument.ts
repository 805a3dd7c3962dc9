// A run's results document: the evaluation's results with what the run was (engine, harness,
// data, chat settings, tokenizer agreement, shard) and, after a stop, why it is incomplete.

import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import { packageRoot } from "../util/paths.js";
import type { ChatSettings } from "../api/chat.js";
import type { CachingBackend } from "../backend/cachingBackend.js";
import type { PlannedTask } from "../evaluation/taskPlan.js";
import { buildResultsDocument, modelNameOf, type ResultsDocument } from "../results/document.js";
import type { TokenizerAgreementRecord } from "../results/types.js";
import { shardNote, type ShardRecord } from "../shard/shard.js";
import type { Evaluation } from "./runEvaluate.js";
import type { RunOptions } from "./runOptions.js";

export function harnessInfo(): { name: string; version: string; git_commit: string | null } {
  const root = packageRoot();
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { name: string; version: string };
  const git = spawnSync("git", ["rev-parse", "HEAD"], { cwd: root, encoding: "utf8" });
  const commit = git.status === 0 ? git.stdout.trim() : null;
  return { name: pkg.name, version: pkg.version, git_commit: commit && /^[0-9a-f]{40}$/.test(commit) ? commit : null };
}

/** The EOS token's text, and its id when the text encodes to that one token (lm-eval's tokenizer_eos_token). */
function eosTokenOf(backend: { eosText(): string; tokenize(text: string): number[] }): { eosToken?: { text: string; id: number | null } } {
  try {
    const text = backend.eosText();
    const ids = backend.tokenize(text);
    return { eosToken: { text, id: ids.length === 1 ? ids[0]! : null } };
  } catch {
    return {};
  }
}

/** What the document records besides the evaluation itself. */
export interface RunRecord {
  backend: CachingBackend;
  /** When the run began (ms since the epoch): the document's date and duration. */
  started: number;
  /** The whole plan, before a shard kept its share. */
  wholePlan: readonly PlannedTask[];
  chat?: ChatSettings;
  tokenizerAgreement?: TokenizerAgreementRecord;
  shardRecord?: ShardRecord;
}

export function buildRunDocument(evaluation: Evaluation, run: RunRecord, options: Pick<RunOptions, "shard" | "limit" | "dataDir" | "label" | "model">): ResultsDocument {
  const { stopped } = evaluation;
  const notes: string[] = [];
  if (options.shard) notes.push(shardNote(options.shard, evaluation.docs, run.wholePlan.reduce((a, p) => a + p.docs.length, 0)));
  if (stopped) notes.push(stopped.note);
  const doc = buildResultsDocument(evaluation.taskResults, evaluation.skipped, {
    engine: run.backend.describe(),
    harness: harnessInfo(),
    limit: options.limit ?? null,
    dataDir: options.dataDir,
    date: new Date(run.started).toISOString(),
    durationSeconds: (Date.now() - run.started) / 1000,
    complete: stopped === undefined,
    ...(notes.length > 0 ? { notes } : {}),
    ...(options.label ? { label: options.label } : {}),
    ...eosTokenOf(run.backend),
    ...(run.tokenizerAgreement ? { tokenizerAgreement: run.tokenizerAgreement } : {}),
    modelName: modelNameOf(options.model),
    ...(run.chat ? { chat: run.chat } : {}),
  });
  if (stopped) doc.rakuten_eval.incomplete_reason = stopped.reason;
  if (run.shardRecord) doc.rakuten_eval.shard = run.shardRecord;
  return doc;
}
