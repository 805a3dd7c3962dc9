// The data of the report's per-document explorer: every doc of every task the runs wrote samples
// for, in a compact form that the page embeds as JSON and renders a page at a time.
//
// Compactness (a full suite is about 30,000 docs): each task's text is interned in a string
// table, and prompts are stored as lists of paragraphs of that table, so few-shot examples shared
// by many docs, and prompts shared by the runs, are stored once. Each run adds only its answers.
// Each task is embedded on its own, so that opening the page parses one task's data, not all.

import type { RunScores } from "../../results/read.js";
import { loadSampleDocs, primaryMetricOf, sampleTasks, type SampleDoc } from "../../results/sampleDocs.js";

/** Filter bits of a doc, computed here so that the page only tests them. */
export const FLAG_DISAGREE = 1;
export const FLAG_ALL_WRONG = 2;
export const FLAG_CHANGED = 4;

/**
 * One run's answer to a doc: [metric value, answer, ...log-likelihoods]. The answer is the index
 * of the choice with the highest log-likelihood (loglikelihood tasks) or the string-table index of
 * the generation (generation tasks). 0 when the run has no such doc.
 */
export type ExplorerAnswer = number[] | 0;

/** [doc_id, prompt paragraphs, choices, gold index or -1, gold text or -1, flags, answer per run]. */
export type ExplorerDoc = [number, number[], number[], number, number, number, ExplorerAnswer[]];

export interface ExplorerTask {
  name: string;
  metric: string;
  /** "mc": choices with log-likelihoods; "gen": a generation per run. */
  kind: "mc" | "gen";
  /** The task's string table: prompt paragraphs, choices, gold texts, generations. */
  s: string[];
  docs: ExplorerDoc[];
}

export interface ExplorerData {
  runs: string[];
  tasks: ExplorerTask[];
}

class StringTable {
  readonly strings: string[] = [];
  private readonly index = new Map<string, number>();
  id(s: string): number {
    let i = this.index.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.index.set(s, i);
    }
    return i;
  }
}

/** A prompt split after each blank line: few-shot examples become paragraphs shared across docs. */
export function promptParagraphs(prompt: string): string[] {
  return prompt === "" ? [] : prompt.split(/(?<=\n\n)/);
}

/** Log-likelihoods to two decimals: what the page shows, and a third of the bytes. */
const ll2 = (v: number): number => Math.round(v * 100) / 100;

function predicted(doc: SampleDoc): number {
  const n = doc.answerChoices ?? doc.logprobs.length;
  let best = -1;
  for (let i = 0; i < Math.min(n, doc.logprobs.length); i++) if (best < 0 || doc.logprobs[i]! > doc.logprobs[best]!) best = i;
  return best;
}

/** A run's answer as a comparable key: which choice, or which generation (trimmed). */
function answerKey(doc: SampleDoc): string {
  return doc.generation !== null ? `g:${doc.generation.trim()}` : `c:${predicted(doc)}`;
}

function flagsOf(docs: (SampleDoc | undefined)[], metric: string): number {
  const present = docs.filter((d): d is SampleDoc => d !== undefined);
  if (present.length === 0) return 0;
  let flags = 0;
  const keys = present.map(answerKey);
  if (new Set(keys).size > 1) flags |= FLAG_DISAGREE;
  if (present.every((d) => (d.metrics[metric] ?? 0) <= 0)) flags |= FLAG_ALL_WRONG;
  const base = docs[0];
  if (base !== undefined && docs.some((d, i) => i > 0 && d !== undefined && (answerKey(d) !== answerKey(base) || d.metrics[metric] !== base.metrics[metric]))) {
    flags |= FLAG_CHANGED;
  }
  return flags;
}

/**
 * The gold choice's index (-1: none). Samples files record it as `doc.gold`; but xWinograd's,
 * before it was fixed, recorded the dataset's 1-based `answer` there, which points one past its
 * gold sentence. Where the recorded gold text is exactly one of the choices and the index names
 * another, the text decides.
 */
export function goldChoice(doc: Pick<SampleDoc, "choices" | "goldIndex" | "goldText">): number {
  const index = doc.goldIndex ?? -1;
  if (doc.goldText === null || doc.choices[index] === doc.goldText) return index;
  const matches = doc.choices.flatMap((c, i) => (c === doc.goldText ? [i] : []));
  return matches.length === 1 ? matches[0]! : index;
}

/** Every doc of every task that any run wrote samples for; runs[0] is the baseline. */
export function buildExplorerData(runs: RunScores[]): ExplorerData {
  const taskNames: string[] = [];
  for (const run of runs) for (const t of sampleTasks(run)) if (!taskNames.includes(t)) taskNames.push(t);
  const tasks: ExplorerTask[] = [];
  for (const name of taskNames) {
    const table = new StringTable();
    const perRun = runs.map((run) => new Map((loadSampleDocs(run, name) ?? []).map((d) => [d.docId, d])));
    const metric = runs.map((run) => primaryMetricOf(run, name)).find((m): m is string => m !== null) ?? "";
    const ids = [...new Set(perRun.flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
    let generation = false;
    const docs: ExplorerDoc[] = ids.map((id) => {
      const docs = perRun.map((m) => m.get(id));
      // Prompt, choices and gold come from the first run that has the doc (runs of one task share them).
      const first = docs.find((d): d is SampleDoc => d !== undefined)!;
      if (first.generation !== null) generation = true;
      const answers: ExplorerAnswer[] = docs.map((d) => {
        if (d === undefined) return 0;
        const value = d.metrics[metric] ?? 0;
        return d.generation !== null ? [value, table.id(d.generation)] : [value, predicted(d), ...d.logprobs.map(ll2)];
      });
      return [
        id,
        promptParagraphs(first.prompt).map((p) => table.id(p)),
        first.choices.map((c) => table.id(c)),
        goldChoice(first),
        first.goldText === null ? -1 : table.id(first.goldText),
        flagsOf(docs, metric),
        answers,
      ];
    });
    tasks.push({ name, metric, kind: generation ? "gen" : "mc", s: table.strings, docs });
  }
  return { runs: runs.map((r) => r.label), tasks };
}

/** JSON that is safe inside a <script> element: no "</script", no "<!--", no line separators. */
export function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, "\\u003c").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}
