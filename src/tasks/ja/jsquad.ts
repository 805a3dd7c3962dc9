// JSQuAD, prompt 0.3: `JSQuADWithJAAlpacaPrompt` (lm_eval/tasks/ja/jsquad.py at 0fa86429).
//
// Only exact_match is reported. The reference's F1 tokenises with fugashi/MeCab (unidic-lite),
// which has no JS equivalent here, and the paper reports EM only.

import type { DataFileRef, Task } from "../../api/task.js";
import { exactMatchAny } from "../../metrics/exactMatch.js";
import { pythonStrip } from "../../metrics/pythonString.js";
import { PERCENT_METRIC, RecordReader, generationResponse, sourceName } from "./common.js";
import { jaAlpacaContext, jaAlpacaText } from "./alpacaFrame.js";

export interface JsquadDoc {
  id: string;
  title: string;
  /** `"<title> [SEP] <paragraph>"` as in the file. */
  context: string;
  question: string;
  /** `answers.text`: every gold answer, the first being the few-shot target. */
  answers: string[];
}

const INSTRUCTION = "与えられた文脈から、質問に対する答えを抜き出してください。";

/** `context.split("[SEP]")[-1].strip()`: the paragraph after the last [SEP], Python-stripped. */
export function jsquadParagraph(context: string): string {
  const parts = context.split("[SEP]");
  return pythonStrip(parts[parts.length - 1]!);
}

export function jsquadText(doc: JsquadDoc): string {
  return jaAlpacaText(INSTRUCTION, `文脈：${jsquadParagraph(doc.context)}\n質問：${doc.question}`);
}

/** Reads `answers` as HF's columnar `{text: [...]}` or SQuAD's `[{text, answer_start}]`. */
export function readAnswerTexts(r: RecordReader, field = "answers"): string[] {
  const v = r.raw(field);
  let texts: unknown;
  if (Array.isArray(v)) texts = v.map((a) => (a !== null && typeof a === "object" ? (a as { text?: unknown }).text : a));
  else if (v !== null && typeof v === "object") texts = (v as { text?: unknown }).text;
  if (!Array.isArray(texts) || texts.length === 0 || !texts.every((t) => typeof t === "string")) {
    throw r.fail(`field "${field}" should hold at least one answer text`);
  }
  return texts as string[];
}

const NAME = "jsquad-1.1-0.3";
const evalData: DataFileRef = { dataset: "jsquad", split: "validation" };
const fewshotData: DataFileRef = { dataset: "jsquad", split: "train" };

export const jsquadTask: Task<JsquadDoc> = {
  name: NAME,
  aliases: ["jsquad"],
  suite: "ja",
  version: "1.1",
  promptVersion: "0.3",
  primaryMetric: "exact_match",
  metrics: { exact_match: PERCENT_METRIC },
  defaultShots: 2,
  fewshot: { kind: "random" },
  evalData,
  fewshotData,
  fewshotSource: "rnd.sample of the JGLUE v1.1 JSQuAD train split (62859 questions), dataset order",

  parseDocs(split, records) {
    const source = sourceName(split === "eval" ? evalData : fewshotData, NAME, split);
    return records.map((value, i) => {
      const r = new RecordReader(value, source, i);
      return {
        id: String(r.raw("id") ?? ""),
        title: r.optionalString("title") ?? "",
        context: r.string("context"),
        question: r.string("question"),
        answers: readAnswerTexts(r),
      };
    });
  },

  fewshotContext(doc, shots) {
    return jaAlpacaContext(doc, shots, jsquadText, (d) => d.answers[0]!);
  },

  constructRequests(doc, context) {
    // greedy_until(ctx, [SEP], max(len(encode(a)) for a in answers)) with DYNAMIC_MAX_LENGTH on (default).
    return [{ type: "generate", context, until: ["\n"], maxTokens: { kind: "longestInModelTokens", texts: doc.answers, extra: 0 } }];
  },

  processResults(doc, responses) {
    // jasquad: 100 × max over golds of normalize(pred) == normalize(gold), averaged over docs.
    return { exact_match: exactMatchAny(generationResponse(NAME, responses), doc.answers) };
  },

  describeDoc(doc) {
    return { id: doc.id, target: doc.answers[0], answers: doc.answers };
  },
};
