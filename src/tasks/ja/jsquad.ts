// JSQuAD, prompt 0.3: `JSQuADWithJAAlpacaPrompt` (lm_eval/tasks/ja/jsquad.py at 0fa86429).
//
// Only exact_match is reported. The reference's F1 tokenises with fugashi/MeCab (unidic-lite),
// which has no JS equivalent here, and the paper reports EM only.

import { exactMatchAny } from "../../metrics/exactMatch.js";
import { pythonStrip } from "../../metrics/pythonString.js";
import { PERCENT_METRIC, RecordReader } from "./common.js";
import { jaAlpacaGenerationTask, type AlpacaGenerationSpec } from "./alpacaTask.js";

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

/**
 * JSQuAD's answer side, which JAQKET v2 shares (its request, max-token rule and metric are JSQuAD's):
 * the first answer is the few-shot target, the generation stops at SEP ("\n") and is capped by the
 * longest gold answer in model tokens, and exact_match is taken against every gold answer.
 */
export function answerSpanGeneration<Doc extends { answers: string[] }>(): Pick<
  AlpacaGenerationSpec<Doc>,
  "primaryMetric" | "metrics" | "docToTarget" | "generate" | "score"
> {
  return {
    primaryMetric: "exact_match",
    metrics: { exact_match: PERCENT_METRIC },
    docToTarget: (doc) => doc.answers[0]!,
    // greedy_until(ctx, [SEP], max(len(encode(a)) for a in answers)) with DYNAMIC_MAX_LENGTH on (default).
    generate: { until: ["\n"], maxTokens: (doc) => ({ kind: "longestInModelTokens", texts: doc.answers, extra: 0 }) },
    // jasquad: 100 × max over golds of normalize(pred) == normalize(gold), averaged over docs.
    score: (doc, prediction) => ({ exact_match: exactMatchAny(prediction, doc.answers) }),
  };
}

export const jsquadTask = jaAlpacaGenerationTask<JsquadDoc>({
  name: "jsquad-1.1-0.3",
  aliases: ["jsquad"],
  version: "1.1",
  defaultShots: 2,
  evalData: { dataset: "jsquad", split: "validation" },
  fewshotData: { dataset: "jsquad", split: "train" },
  fewshotSource: "rnd.sample of the JGLUE v1.1 JSQuAD train split (62859 questions), dataset order",

  parseRecord(r) {
    return {
      id: String(r.raw("id") ?? ""),
      title: r.optionalString("title") ?? "",
      context: r.string("context"),
      question: r.string("question"),
      answers: readAnswerTexts(r),
    };
  },

  prompt: { instruction: INSTRUCTION, input: (doc) => `文脈：${jsquadParagraph(doc.context)}\n質問：${doc.question}` },
  ...answerSpanGeneration<JsquadDoc>(),
  describeDoc: (doc) => ({ id: doc.id, target: doc.answers[0], answers: doc.answers }),
});
