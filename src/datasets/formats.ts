import { DatasetError } from "../util/errors.js";
import { parseDelimitedRows } from "./delimited.js";
import type { RecordFormat } from "./manifestTypes.js";

/**
 * Turn the text of one dataset file into records, in dataset order.
 * `file` is only used in error messages (a malformed line names file and line).
 */
export function parseRecords(text: string, format: RecordFormat, file: string, topLevelKey = "data"): unknown[] {
  switch (format) {
    case "jsonl":
      return parseJsonl(text, file);
    case "json_array": {
      const value = parseJson(text, file);
      if (!Array.isArray(value)) throw new DatasetError("parse", file, `${file}: expected a JSON array; re-download the file.`);
      return value;
    }
    case "squad_nested":
      return flattenSquad(parseJson(text, file), file, topLevelKey);
    case "tsv_question_answer":
      return parseTsv(text, file);
    case "mmlu_csv":
      return parseMmluCsv(text, file);
    case "jaqket_dpr":
      return parseJaqketDpr(parseJson(text, file), file);
  }
}

function parseJson(text: string, file: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new DatasetError("parse", file, `${file}: not valid JSON (${(e as Error).message}); re-download the file.`);
  }
}

function parseJsonl(text: string, file: string): unknown[] {
  const out: unknown[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    try {
      out.push(JSON.parse(line));
    } catch {
      throw new DatasetError("parse", file, `${file}:${i + 1}: malformed JSON line; re-download the file.`);
    }
  }
  return out;
}

export interface SquadRecord {
  id: string;
  title: string;
  context: string;
  question: string;
  answers: { text: string[]; answer_start: number[] };
  is_impossible?: boolean;
}

/** HF's JGLUE loader flattens articles → paragraphs → qas in file order; so do we. */
function flattenSquad(value: unknown, file: string, key: string): SquadRecord[] {
  const root = value as Record<string, unknown>;
  const articles = root?.[key];
  if (!Array.isArray(articles)) throw new DatasetError("parse", file, `${file}: expected a top-level "${key}" array (SQuAD layout); re-download the file.`);
  const out: SquadRecord[] = [];
  for (const article of articles as { title: string; paragraphs: { context: string; qas: { id: string; question: string; answers: { text: string; answer_start: number }[]; is_impossible?: boolean }[] }[] }[]) {
    for (const paragraph of article.paragraphs ?? []) {
      for (const qa of paragraph.qas ?? []) {
        out.push({
          id: qa.id,
          title: article.title,
          context: paragraph.context,
          question: qa.question,
          answers: { text: qa.answers.map((a) => a.text), answer_start: qa.answers.map((a) => a.answer_start) },
          ...(qa.is_impossible === undefined ? {} : { is_impossible: qa.is_impossible }),
        });
      }
    }
  }
  return out;
}

export interface QuestionAnswerRecord {
  question: string;
  answer: string;
}

/** MGSM's `question<TAB>answer` rows, read as Python's csv reader with `delimiter="\t"` reads them. */
function parseTsv(text: string, file: string): QuestionAnswerRecord[] {
  return parseDelimitedRows(text, "\t", file).map((row, idx) => {
    if (row.length !== 2) throw new DatasetError("parse", file, `${file}: row ${idx + 1} has ${row.length} tab-separated fields, expected 2 (question<TAB>answer); re-download the file.`);
    return { question: row[0]!, answer: row[1]! };
  });
}

export interface MmluRecord {
  question: string;
  choices: [string, string, string, string];
  answer: string;
}

/**
 * The hendrycks files (no header, letter answers) as Python's csv reader yields them to HF's
 * `hendrycks_test.py`: quoted fields may hold commas, quotes ("") and newlines; `None` stays a string.
 */
function parseMmluCsv(text: string, file: string): MmluRecord[] {
  return parseDelimitedRows(text, ",", file).map((r, idx) => {
    if (r.length !== 6) throw new DatasetError("parse", file, `${file}: row ${idx + 1} has ${r.length} fields, expected 6 (question,A,B,C,D,answer); re-download the file.`);
    return { question: r[0]!, choices: [r[1]!, r[2]!, r[3]!, r[4]!], answer: r[5]! };
  });
}

/**
 * A JAQKET v2 record as HF `kumapo/JAQKET` (config v2.0, JAQKET.py @29b42a4) yields it. Its
 * features are `Sequence({...})`, which HF stores columnar, so the harness reads `ctxs["text"]`.
 */
export interface JaqketRecord {
  qid: string;
  question: string;
  /** `answer_start` is the loader's dummy -1 for every answer. */
  answers: { text: string[]; answer_start: number[] };
  /** The top `JAQKET_NUM_CONTEXTS` retrieved passages, in retrieval order. `score` is float32 as HF stores it. */
  ctxs: { id: string[]; title: string[]; text: string[]; score: number[]; has_answer: boolean[] };
}

/** The loader's `num_contexts` for config v2.0 (Stability's TOP_K_LIMIT slices within these). */
export const JAQKET_NUM_CONTEXTS = 5;

interface DprContext {
  id: unknown;
  title: unknown;
  text: unknown;
  score: unknown;
  has_answer: unknown;
}

/**
 * `_generate_examples_v2`: `json.load` the whole file (one JSON array, not JSON lines), keep the
 * first `num_contexts` ctxs, and skip the question when `True not in has_answer` of those.
 */
function parseJaqketDpr(value: unknown, file: string): JaqketRecord[] {
  if (!Array.isArray(value)) throw new DatasetError("parse", file, `${file}: expected a JSON array of DPR retrieval results (JAQKET v2); re-download the file.`);
  const out: JaqketRecord[] = [];
  for (let i = 0; i < value.length; i++) {
    const item = value[i] as { qid?: unknown; question?: unknown; answers?: unknown; ctxs?: unknown } | null;
    if (item === null || typeof item !== "object" || !Array.isArray(item.answers) || !Array.isArray(item.ctxs) || typeof item.question !== "string") {
      throw new DatasetError("parse", file, `${file}: item ${i + 1} lacks question/answers/ctxs (JAQKET v2 DPR format); re-download the file.`);
    }
    const top = (item.ctxs as DprContext[]).slice(0, JAQKET_NUM_CONTEXTS);
    // Python `True in [...]` compares with ==, so 1 counts as True as well.
    if (!top.some((ctx) => ctx.has_answer === true || ctx.has_answer === 1)) continue;
    out.push({
      qid: String(item.qid),
      question: item.question,
      answers: { text: (item.answers as unknown[]).map((a) => String(a)), answer_start: item.answers.map(() => -1) },
      ctxs: {
        id: top.map((ctx) => String(ctx.id)),
        title: top.map((ctx) => String(ctx.title)),
        text: top.map((ctx) => String(ctx.text)),
        // DPR writes scores as strings; the loader applies float(), HF stores float32.
        score: top.map((ctx) => Math.fround(Number(ctx.score))),
        has_answer: top.map((ctx) => Boolean(ctx.has_answer)),
      },
    });
  }
  return out;
}
