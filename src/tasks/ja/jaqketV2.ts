// JAQKET v2, prompt 0.3: `JAQKETV2WithJAAlpacaPrompt` (lm_eval/tasks/ja/jaqket_v2.py).
// - jaqket_v2-0.1-0.3 (0fa86429, the paper's commit): contexts `ctxs["text"][:10]` (TOP_K_LIMIT=10)
//   of the ≤5 the loader keeps, joined by "\n".
// - jaqket_v2-0.2-0.3 (jp-stable HEAD, suite ja8): the same rendered prompt; the loader is asked for
//   num_contexts=5 and every kept context is used. HEAD also drops shots while the prompt exceeds
//   `max_length - longest answer` tokens; that needs the model's tokenizer at prompt time and never
//   triggers with a 32k context (1 shot of ~5 passages), so it is not reproduced.
// Only exact_match is reported (the reference's F1 needs MeCab; see jsquad.ts).

import type { Task } from "../../api/task.js";
import type { RecordReader } from "./common.js";
import { jaAlpacaGenerationTask } from "./alpacaTask.js";
import { answerSpanGeneration, readAnswerTexts } from "./jsquad.js";

export interface JaqketV2Doc {
  qid: string;
  question: string;
  answers: string[];
  /** `ctxs["text"]` in retrieval order, as the loader kept them. */
  contexts: string[];
}

const INSTRUCTION = "与えられた文脈から、質問に対する答えを抜き出してください。";

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

function makeJaqketTask(opts: { name: string; aliases: string[]; version: string; topK: number }): Task<JaqketV2Doc> {
  const { topK } = opts;
  return jaAlpacaGenerationTask<JaqketV2Doc>({
    name: opts.name,
    aliases: opts.aliases,
    version: opts.version,
    defaultShots: 1,
    evalData: { dataset: "jaqket_v2", split: "validation" },
    fewshotData: { dataset: "jaqket_v2", split: "train" },
    fewshotSource: "rnd.sample of the kumapo/JAQKET v2.0 train split (questions with an answer in the top-5 passages), dataset order",

    parseRecord(r) {
      return {
        qid: String(r.raw("qid") ?? ""),
        question: r.string("question"),
        answers: readAnswerTexts(r),
        contexts: readContextTexts(r),
      };
    },

    prompt: { instruction: INSTRUCTION, input: (doc) => `文脈：${doc.contexts.slice(0, topK).join("\n")}\n質問：${doc.question}` },
    ...answerSpanGeneration<JaqketV2Doc>(),
    describeDoc: (doc) => ({ qid: doc.qid, target: doc.answers[0], answers: doc.answers }),
  });
}

export const jaqketV2Task = makeJaqketTask({ name: "jaqket_v2-0.1-0.3", aliases: ["jaqket_v2", "jaqket"], version: "0.1", topK: 10 });

/** HEAD's loader call passes num_contexts=5 and the prompt uses all of them. */
export const jaqketV2HeadTask = makeJaqketTask({ name: "jaqket_v2-0.2-0.3", aliases: [], version: "0.2", topK: 5 });
