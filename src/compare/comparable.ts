// What must hold before two runs (or a run and the paper) are compared at all. Each problem is
// one line; together they are refused (exit 2) unless the flag named in the line allows them, and
// an allowed problem is stated in the output. A statistic over scores that do not measure the
// same thing is not a regression test, however small its p-value.

import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { UserError, UserErrors } from "../util/errors.js";
import { columnOf, MMLU_GROUP } from "../paper/suites.js";
import type { ResultsDocument } from "../results/document.js";
import type { RunScores, ScoreRow } from "../results/read.js";
import { MMLU_KEYS } from "./pairing.js";

export interface ComparabilityOptions {
  /** Compare a run whose results say `complete: false`. */
  allowPartial: boolean;
  /** Compare tasks whose shots, versions, prompt versions, tokenization or datasets differ. */
  allowConfigMismatch: boolean;
  /** Show a --limit run beside the paper's full-split figures (it can never pass the gate). */
  allowLimit: boolean;
}

export interface Comparability {
  /** Problems allowed by a flag, one line each, for the output. Any of them keeps the gate from passing. */
  allowed: string[];
  /** Set when no row is comparable (a --limit run against the paper). */
  notComparable: string | null;
  /** Row keys (column key or task) whose settings differ, with what differs. */
  mismatched: Map<string, string>;
}

/**
 * The samples file `run` recorded for a task, with its sha256 (`rakuten_eval.samples`: file
 * name -> { task, sha256, bytes }, written by src/run/runOutput.ts); undefined for results written
 * before the record existed, which are checked by doc count instead.
 */
function recordedSamplesFile(doc: ResultsDocument, task: string): { file: string; sha256: string } | undefined {
  for (const [file, record] of Object.entries(doc.rakuten_eval.samples ?? {})) {
    if (record.task === task) return { file, sha256: record.sha256 };
  }
  return undefined;
}

/** The subject tasks behind a summary row (MMLU) or the row's own task. */
function rowTasks(doc: ResultsDocument, row: ScoreRow): string[] {
  if (MMLU_KEYS.has(row.key)) return doc.group_subtasks[row.key] ?? doc.group_subtasks[MMLU_GROUP] ?? [];
  return [row.task];
}

function countLines(text: string): number {
  let n = 0;
  for (const line of text.split("\n")) if (line.trim() !== "") n++;
  return n;
}

/** Samples files that do not belong to their results: a recorded sha256 that differs, else a doc count that differs from n. */
function samplesProblems(side: string, run: RunScores): string[] {
  if (run.kind !== "run" || !run.dir || !run.doc) return [];
  const doc = run.doc;
  const out: string[] = [];
  const seen = new Set<string>();
  for (const row of run.rows) {
    for (const task of rowTasks(doc, row)) {
      if (seen.has(task)) continue;
      seen.add(task);
      const recorded = recordedSamplesFile(doc, task);
      const sha = recorded?.sha256;
      const file = recorded ? path.join(run.dir, recorded.file) : (run.samples?.get(task)?.file ?? path.join(run.dir, `samples_${task}.jsonl`));
      if (!existsSync(file)) continue; // compared unpaired, and said so
      const bytes = readFileSync(file);
      if (sha) {
        const actual = createHash("sha256").update(bytes).digest("hex");
        if (actual !== sha) {
          out.push(
            `${side} ${file}: sha256 ${actual.slice(0, 12)}… differs from the ${sha.slice(0, 12)}… its results file records; the samples file does not belong to these results (restore the run's own samples file, or delete it to compare unpaired).`,
          );
        }
        continue;
      }
      const expected = doc["n-samples"][task]?.effective ?? (MMLU_KEYS.has(row.key) ? undefined : row.n);
      if (expected === undefined) continue;
      const docs = countLines(bytes.toString("utf8"));
      if (docs !== expected) {
        out.push(
          `${side} ${file}: ${docs} docs but its results file scored ${expected}; the samples file does not belong to these results (restore the run's own samples file, or delete it to compare unpaired).`,
        );
      }
    }
  }
  return out;
}

/** What a task's score depends on besides the model, as recorded in results.json. */
interface TaskSettings {
  shots: number | undefined;
  version: string | undefined;
  promptVersion: string | undefined;
  tokenization: string | undefined;
  /** Who made the token ids: "gguf", "hf <sha256…>" or "server" (absent in files of earlier versions). */
  tokenizer: string | undefined;
  datasets: Map<string, string>;
}

/** The tokenizer that made a run's ids, as one comparable text: its source, and for HF files their hashes. */
function tokenizerIdentity(doc: ResultsDocument): string | undefined {
  const record = doc.rakuten_eval.tokenizer;
  // Files of earlier rakuten-eval versions tokenized with the GGUF's vocabulary (llama.cpp in
  // process, or a GGUF given as a server's --tokenizer). lm-eval's own files do not say which
  // tokenizer files made their ids: not compared (as any setting recorded on one side only).
  if (record === undefined) return doc.rakuten_eval.engine?.engine === "lm-evaluation-harness" ? undefined : "gguf";
  if (record.source !== "hf") return record.source;
  const files = Object.entries(record.files ?? {}).sort(([a], [b]) => a.localeCompare(b));
  return `hf (${files.map(([name, sha]) => `${name} ${sha.slice(0, 8)}…`).join(", ")})`;
}

/**
 * A task version as one text whatever its spelling: older files wrote "1.0", lm-eval's layout a
 * number (written 1.0, read back as 1), so a numeric version is shown with at least one decimal
 * ("1.0", "1.1"); any other text is kept as it is.
 */
export function canonicalVersion(version: unknown): string | undefined {
  if (typeof version === "number" && Number.isFinite(version)) return Number.isInteger(version) ? version.toFixed(1) : String(version);
  if (typeof version !== "string") return undefined;
  return /^\d+(\.\d+)?$/.test(version) ? canonicalVersion(Number(version)) : version;
}

function settingsOf(doc: ResultsDocument, task: string): TaskSettings {
  const config = doc.configs[task] ?? {};
  const str = (v: unknown): string | undefined => (typeof v === "string" ? v : Array.isArray(v) ? v.join(",") : undefined);
  const datasets = new Map<string, string>();
  for (const d of doc.rakuten_eval.datasets[task] ?? []) datasets.set(`${d.dataset} ${d.split}`, d.sha256);
  // Where lm-eval's configs has no key (prompt version, tokenization): rakuten_eval.task_settings; older files kept them in configs.
  const ours = doc.rakuten_eval.task_settings?.[task];
  const version = doc.versions[task];
  return {
    shots: doc["n-shot"][task] ?? (typeof config.num_fewshot === "number" ? config.num_fewshot : undefined),
    version: canonicalVersion(version ?? config.version),
    promptVersion: str(ours?.prompt_version ?? config.prompt_version),
    tokenization: str(ours?.tokenization ?? config.tokenization),
    tokenizer: tokenizerIdentity(doc),
    datasets,
  };
}

/** The settings that differ between two tasks' records; fields recorded on one side only are not compared. */
function settingDifferences(a: TaskSettings, b: TaskSettings): string[] {
  const out: string[] = [];
  const field = (what: string, x: string | number | undefined, y: string | number | undefined) => {
    if (x !== undefined && y !== undefined && x !== y) out.push(`${what} ${x} → ${y}`);
  };
  field("shots", a.shots, b.shots);
  field("task version", a.version, b.version);
  field("prompt version", a.promptVersion, b.promptVersion);
  field("tokenization", a.tokenization, b.tokenization);
  field("tokenizer", a.tokenizer, b.tokenizer);
  for (const [ref, sha] of a.datasets) {
    const other = b.datasets.get(ref);
    if (other !== undefined && other !== sha) out.push(`${ref} sha256 ${sha.slice(0, 8)}… → ${other.slice(0, 8)}…`);
  }
  return out;
}

/** Per row: what differs between the baseline run and the new run, or between the paper's setup and the new run. */
function configDifferences(newRun: RunScores, baseRun: RunScores): Map<string, string> {
  const out = new Map<string, string>();
  const newDoc = newRun.doc;
  if (!newDoc) return out;
  for (const row of newRun.rows) {
    const diffs: string[] = [];
    if (baseRun.kind === "published") {
      const column = columnOf(row.key);
      if (!column || !baseRun.rows.some((r) => r.key === row.key)) continue;
      const shots = new Set(rowTasks(newDoc, row).map((t) => newDoc["n-shot"][t] ?? row.shots));
      if (shots.size === 0) shots.add(row.shots);
      for (const s of shots) if (s !== column.shots) diffs.push(`shots ${column.shots} (paper) → ${s}`);
      if (!MMLU_KEYS.has(row.key) && row.task !== column.task) diffs.push(`task ${column.task} (paper) → ${row.task}`);
      if (row.key !== MMLU_GROUP && MMLU_KEYS.has(row.key)) diffs.push(`a subset of the MMLU subjects (${rowTasks(newDoc, row).length} of 57)`);
      const partial = newDoc.rakuten_eval.summary.find((s) => s.key === row.key)?.partialData;
      if (partial) diffs.push("a partial stand-in dataset");
    } else {
      const baseDoc = baseRun.doc;
      const baseRow = baseRun.rows.find((r) => r.key === row.key);
      if (!baseDoc || !baseRow) continue;
      if (baseRow.task !== row.task && !MMLU_KEYS.has(row.key)) diffs.push(`task ${baseRow.task} → ${row.task}`);
      const tasks = rowTasks(newDoc, row).filter((t) => rowTasks(baseDoc, baseRow).includes(t));
      const byWhat = new Map<string, number>();
      for (const t of tasks) for (const d of settingDifferences(settingsOf(baseDoc, t), settingsOf(newDoc, t))) byWhat.set(d, (byWhat.get(d) ?? 0) + 1);
      for (const [d, k] of byWhat) diffs.push(tasks.length > 1 ? `${d} (${k} of ${tasks.length} subjects)` : d);
    }
    if (diffs.length > 0) out.set(row.key, `${row.task}: ${diffs.join(", ")}`);
  }
  return out;
}

/** The prompt format a run used (lm-eval's chat records; absent in older files: plain prompts). */
function promptFormat(doc: ResultsDocument | undefined): Record<string, string> {
  const c = (doc?.config ?? {}) as Record<string, unknown>;
  const sha = (v: unknown) => (typeof v === "string" ? `sha256 ${v.slice(0, 8)}…` : "none");
  return {
    "chat template": typeof c.chat_template_sha === "string" ? `${typeof c.chat_template_source === "string" ? c.chat_template_source + " " : ""}${sha(c.chat_template_sha)}` : "none",
    "few-shot as multi-turn": c.fewshot_as_multiturn === true ? "yes" : "no",
    "system instruction": sha(c.system_instruction_sha),
  };
}

/** Run-level prompt-format differences (a chat template changes every prompt); the paper used plain prompts. */
function promptFormatDifferences(newRun: RunScores, baseRun: RunScores): string[] {
  if (!newRun.doc) return [];
  const ours = promptFormat(newRun.doc);
  const theirs = promptFormat(baseRun.kind === "published" ? undefined : baseRun.doc);
  return Object.keys(ours).filter((k) => ours[k] !== theirs[k]).map((k) => `${k} ${theirs[k]} → ${ours[k]}`);
}

/**
 * Check that the two sides measure the same thing. Throws UserErrors (one line per problem,
 * exit 2) for what no flag allows or what the user did not allow; returns the allowed ones.
 */
export function checkComparable(newRun: RunScores, baseRun: RunScores, options: ComparabilityOptions): Comparability {
  const refused: string[] = [];
  const allowed: string[] = [];
  const sides: [string, RunScores][] = [
    ["new run", newRun],
    ["baseline", baseRun],
  ];
  for (const [side, run] of sides) {
    if (run.kind === "run" && run.doc && run.doc.rakuten_eval.complete === false) {
      const line = `${side} ${run.source} is incomplete (rakuten_eval.complete is false: the run was interrupted or failed); resume it with the same \`rakuten-eval run\` command, or pass --allow-partial to compare what it scored`;
      if (options.allowPartial) allowed.push(`${side} is incomplete (rakuten_eval.complete false); compared what it scored (--allow-partial)`);
      else refused.push(`${line}.`);
    }
  }
  for (const [side, run] of sides) {
    const shard = run.kind === "run" ? run.doc?.rakuten_eval.shard : undefined;
    if (!shard) continue;
    const what = `${side} ${run.source} is shard ${shard.index}/${shard.count} of a sharded run, not a full run`;
    if (options.allowPartial) allowed.push(`${what}; compared what it scored (--allow-partial)`);
    else refused.push(`${what}; merge its ${shard.count} shards with \`rakuten-eval merge\` and compare the merged results, or pass --allow-partial to compare what it scored.`);
  }
  for (const [side, run] of sides) refused.push(...samplesProblems(side, run));
  const mismatched = configDifferences(newRun, baseRun);
  const against = baseRun.kind === "published" ? "the paper's setup" : "the baseline";
  for (const [, what] of mismatched) {
    if (options.allowConfigMismatch) allowed.push(`settings differ from ${against}: ${what} (--allow-config-mismatch)`);
    else refused.push(`settings differ from ${against}: ${what}; scores are not comparable: rerun with the same settings, or pass --allow-config-mismatch.`);
  }
  for (const what of promptFormatDifferences(newRun, baseRun)) {
    if (options.allowConfigMismatch) allowed.push(`prompts differ from ${against}: ${what} (--allow-config-mismatch)`);
    else refused.push(`prompts differ from ${against}: ${what}; scores are not comparable: rerun with the same prompt settings, or pass --allow-config-mismatch.`);
  }
  let notComparable: string | null = null;
  const limit = newRun.doc?.config.limit;
  if (baseRun.kind === "published" && limit !== null && limit !== undefined) {
    const what = `the new run used --limit ${String(limit)}: its scores cover the first ${String(limit)} docs of each task, not the full splits behind ${baseRun.source}'s figures`;
    if (options.allowLimit) {
      notComparable = `${what}; not comparable, so the gate cannot pass (--allow-limit)`;
      allowed.push(notComparable);
    } else refused.push(`${what}; not comparable: run without --limit, or pass --allow-limit to see the numbers (the gate then cannot pass).`);
  }
  if (refused.length > 0) throw new UserErrors(refused.map((m) => new UserError("usage", m)));
  return { allowed, notComparable, mismatched };
}
