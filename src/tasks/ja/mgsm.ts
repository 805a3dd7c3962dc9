// MGSM (ja), prompt 0.3: `MGSMWithJAAlpacaPrompt` (lm_eval/tasks/ja/mgsm.py).
// - mgsm-1.0-0.3 (0fa86429, the paper's commit): doc_to_text lacks the "\n\n" between the
//   instruction and "### 入力:" (a bug fixed at HEAD by commit 5a857e3).
// - mgsm-1.0-0.3-head (our name; the reference calls it mgsm-1.0-0.3 too): HEAD's fixed template.
// Not reproduced: c0's `preprocess_ctx` / HEAD's shot-dropping `fewshot_context`, which drop shots
// only when the prompt exceeds `max_length - 256` model tokens; they never act at 32k.

import type { Task } from "../../api/task.js";
import { extractMgsmAnswer } from "../../metrics/mgsm.js";
import { ACC_METRIC, type RecordReader } from "./common.js";
import { jaAlpacaGenerationTask, type AlpacaPrompt } from "./alpacaTask.js";

export interface MgsmDoc {
  /** As in the file; train exemplars start with "問題：", test questions do not. */
  question: string;
  /** The chain-of-thought answer ("ステップごとの答え：…"); null for test docs (HF has None). */
  answer: string | null;
  /** `answer_number`. */
  answerNumber: number;
}

const INSTRUCTION = "与えられた問題に対して、ステップごとに答えを導き出してください。";

/** Python `str.replace(old, "")` removes every occurrence. */
function mgsmInput(doc: MgsmDoc): string {
  return doc.question.replaceAll("問題：", "");
}

/** c0 doc_to_text: `"### 指示:\n" + INSTRUCTION + "### 入力:\n"` — no blank line before the input header. */
function c0Frame(instruction: string, input: string): string {
  return `### 指示:\n${instruction}### 入力:\n${input}\n\n### 応答:\n`;
}

/** c0's template (the paper's commit). */
export const MGSM_PROMPT_C0: AlpacaPrompt<MgsmDoc> = { instruction: INSTRUCTION, input: mgsmInput, frame: c0Frame };
/** HEAD's template (5a857e3): the standard 0.3 frame. */
export const MGSM_PROMPT_HEAD: AlpacaPrompt<MgsmDoc> = { instruction: INSTRUCTION, input: mgsmInput };

/** `doc_to_target`: the CoT answer without its "ステップごとの答え：" prefix. */
export function mgsmTarget(doc: MgsmDoc): string {
  if (doc.answer === null) throw new Error("mgsm: a few-shot doc needs its chain-of-thought answer (train exemplars)");
  return doc.answer.replaceAll("ステップごとの答え：", "");
}

/** `answer_number` from the field when present (HF rows, exemplars), else from the TSV answer text ("2,125"). */
function readAnswerNumber(r: RecordReader): number {
  const n = r.raw("answer_number");
  if (typeof n === "number" && Number.isInteger(n)) return n;
  const text = r.raw("answer");
  if (typeof text === "string") {
    const digits = text.trim().replaceAll(",", "");
    if (/^-?[0-9]+$/.test(digits)) return Number(digits);
  } else if (typeof text === "number" && Number.isInteger(text)) {
    return text;
  }
  throw r.fail('needs an integer "answer_number" or a numeric "answer"');
}

function makeMgsmTask(opts: { name: string; aliases: string[]; prompt: AlpacaPrompt<MgsmDoc> }): Task<MgsmDoc> {
  return jaAlpacaGenerationTask<MgsmDoc>({
    name: opts.name,
    aliases: opts.aliases,
    version: "1.0",
    primaryMetric: "acc",
    metrics: { acc: ACC_METRIC },
    defaultShots: 5,
    evalData: { dataset: "mgsm_ja", split: "test" },
    fewshotData: { dataset: "mgsm_ja", split: "train" },
    fewshotSource: "rnd.sample of the 8 MGSM ja chain-of-thought exemplars (juletxara/mgsm train), file order",

    parseRecord(r, split) {
      const answerNumber = readAnswerNumber(r);
      // In the TSV the answer column is the number itself, not a chain of thought.
      const answer = split === "fewshot" ? r.string("answer") : null;
      return { question: r.string("question"), answer, answerNumber };
    },

    prompt: opts.prompt,
    docToTarget: mgsmTarget,
    // greedy_until(ctx, [tokenizer.eos_token, SEP], max_gen_toks=256): runs to EOS or 256 tokens,
    // then the text is cut at the EOS text and at the first "\n".
    generate: { until: [{ eosToken: true }, "\n"], maxTokens: () => ({ kind: "fixed", tokens: 256 }) },

    score(doc, prediction) {
      // ANS_RE findall, last match, strip('.'), drop ',', float → int if integral, else invalid.
      // c0 would crash on a match like "." (uncaught ValueError); this scores it invalid, as HEAD does.
      return { acc: extractMgsmAnswer(prediction) === doc.answerNumber ? 1 : 0 };
    },

    // lm-eval's filtered_resps: the number the answer pattern found, or "[invalid]" as its regex filter writes.
    extractAnswer: (prediction) => {
      const answer = extractMgsmAnswer(prediction);
      return answer === "INVALID" ? "[invalid]" : String(answer);
    },

    describeDoc: (doc) => ({ answerNumber: doc.answerNumber }),
  });
}

export const mgsmTask = makeMgsmTask({ name: "mgsm-1.0-0.3", aliases: ["mgsm", "mgsm_ja"], prompt: MGSM_PROMPT_C0 });

export const mgsmHeadTask = makeMgsmTask({ name: "mgsm-1.0-0.3-head", aliases: [], prompt: MGSM_PROMPT_HEAD });
