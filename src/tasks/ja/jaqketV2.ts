// JAQKET v2, prompt 0.3: `JAQKETV2WithJAAlpacaPrompt` (lm_eval/tasks/ja/jaqket_v2.py).
// - jaqket_v2-0.1-0.3 (0fa86429, the paper's commit): contexts `ctxs["text"][:10]` (TOP_K_LIMIT=10)
//   of the ≤5 the loader keeps, joined by "\n".
// - jaqket_v2-0.2-0.3 (jp-stable HEAD, suite ja8): the same rendered prompt; the loader is asked for
//   num_contexts=5 and every kept context is used. HEAD also drops shots while the prompt exceeds
//   `max_length - longest answer` tokens; that needs the model's tokenizer at prompt time and never
//   triggers with a 32k context (1 shot of ~5 passages), so it is not reproduced.
// Only exact_match is reported (the reference's F1 needs MeCab; see jsquad.ts).

import type { DataFileRef, Task } from "../../api/task.js";
import { exactMatchAny } from "../../metrics/exactMatch.js";
import { PERCENT_METRIC, RecordReader, generationResponse, sourceName } from "./common.js";
import { jaAlpacaContext, jaAlpacaText } from "./alpacaFrame.js";
import { readAnswerTexts } from "./jsquad.js";

export interface JaqketV2Doc {
  qid: string;
  question: string;
  answers: string[];
  /** `ctxs["text"]` in retrieval order, as the loader kept them. */
  contexts: string[];
}

const INSTRUCTION = "与えられた文脈から、質問に対する答えを抜き出してください。";

export function jaqketV2Text(doc: JaqketV2Doc, topK: number): string {
  return jaAlpacaText(INSTRUCTION, `文脈：${doc.contexts.slice(0, topK).join("\n")}\n質問：${doc.question}`);
}

/** `ctxs` as HF stores a Sequence of dicts (columnar `{text: [...]}`) or as a list of `{title, text}` objects. */
function readContextTexts(r: RecordReader): string[] {
  const v = r.raw("ctxs");
  let texts: unknown;
  if (Array.isArray(v)) texts = v.map((c) => (c !== null && typeof c === "object" ? (c as { text?: unknown }).text : undefined));
  else if (v !== null && typeof v === "object") texts = (v as { text?: unknown }).text;
  if (!Array.isArray(texts) || !texts.every((t) => typeof t === "string")) {
    throw r.fail('field "ctxs" should hold the retrieved passages (a list of {title, text} or {text: [...]})');
  }
  return texts as string[];
}

const evalData: DataFileRef = { dataset: "jaqket_v2", split: "validation" };
const fewshotData: DataFileRef = { dataset: "jaqket_v2", split: "train" };

function makeJaqketTask(opts: { name: string; aliases: string[]; version: string; topK: number }): Task<JaqketV2Doc> {
  const { name, topK } = opts;
  const text = (doc: JaqketV2Doc) => jaqketV2Text(doc, topK);
  return {
    name,
    aliases: opts.aliases,
    suite: "ja",
    version: opts.version,
    promptVersion: "0.3",
    primaryMetric: "exact_match",
    metrics: { exact_match: PERCENT_METRIC },
    defaultShots: 1,
    fewshot: { kind: "random" },
    evalData,
    fewshotData,
    fewshotSource: "rnd.sample of the kumapo/JAQKET v2.0 train split (questions with an answer in the top-5 passages), dataset order",

    parseDocs(split, records) {
      const source = sourceName(split === "eval" ? evalData : fewshotData, name, split);
      return records.map((value, i) => {
        const r = new RecordReader(value, source, i);
        return {
          qid: String(r.raw("qid") ?? ""),
          question: r.string("question"),
          answers: readAnswerTexts(r),
          contexts: readContextTexts(r),
        };
      });
    },

    fewshotContext(doc, shots) {
      return jaAlpacaContext(doc, shots, text, (d) => d.answers[0]!);
    },

    constructRequests(doc, context) {
      return [{ type: "generate", context, until: ["\n"], maxTokens: { kind: "longestInModelTokens", texts: doc.answers, extra: 0 } }];
    },

    processResults(doc, responses) {
      return { exact_match: exactMatchAny(generationResponse(name, responses), doc.answers) };
    },

    describeDoc(doc) {
      return { qid: doc.qid, target: doc.answers[0], answers: doc.answers };
    },
  };
}

export const jaqketV2Task = makeJaqketTask({ name: "jaqket_v2-0.1-0.3", aliases: ["jaqket_v2", "jaqket"], version: "0.1", topK: 10 });

/** HEAD's loader call passes num_contexts=5 and the prompt uses all of them. */
export const jaqketV2HeadTask = makeJaqketTask({ name: "jaqket_v2-0.2-0.3", aliases: [], version: "0.2", topK: 5 });
