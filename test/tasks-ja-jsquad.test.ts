import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseRecords } from "../src/datasets/formats.js";
import { PyRandom } from "../src/random/pyRandom.js";
import { jsquadTask, type JsquadDoc } from "../src/tasks/ja/jsquad.js";
import { sharedSkip } from "./support/sharedData.js";

// Expected strings from the spec's template (§2.5, §3.4), written out by hand.
const DESCRIPTION = "以下は、タスクを説明する指示と、文脈のある入力の組み合わせです。要求を適切に満たす応答を書きなさい。\n\n";
const INSTRUCTION_BLOCK = "### 指示:\n与えられた文脈から、質問に対する答えを抜き出してください。\n\n";

const dir = path.resolve(process.cwd(), "../shared/datasets/jsquad");
const validFile = path.join(dir, "valid-v1.1.json");
const trainSubset = path.join(dir, "PARTIAL_train_subset_74q_yosuke318.json");
const skip = sharedSkip(validFile, trainSubset);

interface RawSquad {
  data?: RawArticle[];
  train?: RawArticle[];
}
interface RawArticle {
  title: string;
  paragraphs: { context: string; qas: { id: string; question: string; answers: { text: string }[] }[] }[];
}

/** Flatten independently of formats.ts: one entry per question with its paragraph's context. */
function rawQuestions(articles: RawArticle[]): { context: string; question: string; answers: string[] }[] {
  return articles.flatMap((a) => a.paragraphs.flatMap((p) => p.qas.map((q) => ({ context: p.context, question: q.question, answers: q.answers.map((x) => x.text) }))));
}

/** `context.split("[SEP]")[-1].strip()`, computed another way: text after the last marker, edges trimmed of spaces/U+3000. */
function paragraphOf(context: string): string {
  return context.slice(context.lastIndexOf("[SEP]") + "[SEP]".length).replace(/^[ \u3000\t\n]+|[ \u3000\t\n]+$/g, "");
}

const inputBlock = (paragraph: string, question: string) => `### 入力:\n文脈：${paragraph}\n質問：${question}\n\n### 応答:\n`;

test("JSQuAD metadata", () => {
  assert.equal(jsquadTask.name, "jsquad-1.1-0.3");
  assert.equal(jsquadTask.version, "1.1");
  assert.equal(jsquadTask.defaultShots, 2);
  assert.equal(jsquadTask.primaryMetric, "exact_match");
  assert.deepEqual(jsquadTask.metrics.exact_match, { aggregation: "mean", higherIsBetter: true, scale: 1 });
  assert.deepEqual(jsquadTask.evalData, { dataset: "jsquad", split: "validation" });
  assert.deepEqual(jsquadTask.fewshotData, { dataset: "jsquad", split: "train" });
});

test("JSQuAD 2-shot prompt: paragraph after [SEP], stripped; title unused; first gold as target", { skip }, () => {
  const validText = readFileSync(validFile, "utf8");
  const trainText = readFileSync(trainSubset, "utf8");
  const evalDocs = jsquadTask.parseDocs("eval", parseRecords(validText, "squad_nested", validFile));
  const trainDocs = jsquadTask.parseDocs("fewshot", parseRecords(trainText, "squad_nested", trainSubset, "train"));
  assert.equal(evalDocs.length, 4442);
  assert.equal(trainDocs.length, 74);
  const rawEval = rawQuestions((JSON.parse(validText) as RawSquad).data!);
  const rawTrain = rawQuestions((JSON.parse(trainText) as RawSquad).train!);

  const doc = evalDocs[0]!;
  assert.equal(doc.id, "a10336p0q0");
  assert.deepEqual(doc.answers, ["小笠原諸島", "小笠原諸島を除く日本", "小笠原諸島"]);

  const ctx = jsquadTask.fewshotContext(doc, [trainDocs[5]!, trainDocs[1]!]);
  const shot = (r: (typeof rawTrain)[number]) => INSTRUCTION_BLOCK + inputBlock(paragraphOf(r.context), r.question) + r.answers[0];
  const expected =
    DESCRIPTION + shot(rawTrain[5]!) + "\n\n" + shot(rawTrain[1]!) + "\n\n" + INSTRUCTION_BLOCK + inputBlock(paragraphOf(rawEval[0]!.context), rawEval[0]!.question);
  assert.equal(ctx, expected);
  // The literal start of the eval doc's input: no title, no leading space after "文脈：".
  assert.ok(ctx.endsWith("### 入力:\n文脈：梅雨（つゆ、ばいう）は、北海道と小笠原諸島を除く日本、朝鮮半島南部、" + rawEval[0]!.context.split("朝鮮半島南部、")[1] + "\n質問：日本で梅雨がないのは北海道とどこか。\n\n### 応答:\n"));

  assert.deepEqual(jsquadTask.constructRequests(doc, ctx), [
    { type: "generate", context: expected, until: ["\n"], maxTokens: { kind: "longestInModelTokens", texts: ["小笠原諸島", "小笠原諸島を除く日本", "小笠原諸島"], extra: 0 } },
  ]);

  // A paragraph that starts with " \u3000" after [SEP]: Python's strip() removes both.
  const ideographic = evalDocs[3980]!;
  assert.ok(rawEval[3980]!.context.includes("[SEP] \u3000国土地理院"));
  assert.ok(jsquadTask.fewshotContext(ideographic, []).includes("\n### 入力:\n文脈：国土地理院による電子基準点"));
});

test("JSQuAD shuffled order starts at validation index 2917 (spec §5)", { skip }, () => {
  const docs = jsquadTask.parseDocs("eval", parseRecords(readFileSync(validFile, "utf8"), "squad_nested", validFile));
  const order = docs.map((_, i) => i);
  new PyRandom(42).shuffle(order);
  assert.deepEqual(order.slice(0, 8), [2917, 3, 3733, 2155, 2851, 4192, 232, 908]);
});

test("JSQuAD context split uses the last [SEP] and Python's strip", () => {
  const doc: JsquadDoc = { id: "x", title: "T", context: "T [SEP] a [SEP]\u3000 本文。\n", question: "Q", answers: ["本文"] };
  assert.equal(jsquadTask.fewshotContext(doc, []), DESCRIPTION + INSTRUCTION_BLOCK + inputBlock("本文。", "Q"));
});

test("JSQuAD exact_match per doc: 0/100, any gold, jasquad normalisation only", () => {
  const doc: JsquadDoc = { id: "x", title: "T", context: "T [SEP] c", question: "Q", answers: ["小笠原諸島", "小笠原諸島を除く日本"] };
  const em = (prediction: string) => jsquadTask.processResults(doc, [prediction], {}).exact_match;
  assert.equal(em("小笠原諸島"), 100);
  assert.equal(em("小笠原諸島を除く日本"), 100); // the second gold counts too
  assert.equal(em(" 小笠原諸島 "), 100); // whitespace is collapsed/stripped
  assert.equal(em("小笠原"), 0);
  assert.equal(em("小笠原諸島。"), 0); // EM does not remove punctuation
  const latin: JsquadDoc = { ...doc, answers: ["ABC 123"] };
  assert.equal(jsquadTask.processResults(latin, ["ＡＢＣ　１２３"], {}).exact_match, 100); // neologdn: full-width ASCII to half-width
  assert.equal(jsquadTask.processResults(latin, ["abc 123"], {}).exact_match, 0); // no lowercasing
  assert.throws(() => jsquadTask.processResults(doc, [], {}), /exactly one generated string/);
});

test("JSQuAD parseDocs accepts HF rows with columnar answers", () => {
  const [doc] = jsquadTask.parseDocs("eval", [{ id: "a1", title: "T", context: "T [SEP] c", question: "q", answers: { text: ["x", "y"], answer_start: [0, 1] }, is_impossible: false }]);
  assert.deepEqual(doc!.answers, ["x", "y"]);
  assert.throws(() => jsquadTask.parseDocs("eval", [{ id: "a1", context: "c", question: "q", answers: { text: [] } }]), /answers/);
});
