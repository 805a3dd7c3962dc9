import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseRecords } from "../src/datasets/formats.js";
import { PyRandom } from "../src/random/pyRandom.js";
import { mgsmHeadTask, mgsmTask, type MgsmDoc } from "../src/tasks/ja/mgsm.js";
import { sharedSkip } from "./support/sharedData.js";

// Expected strings from the spec (§2.5, §3.8) and the reference mgsm.py, written out by hand:
// c0 doc_to_text = "### 指示:\n" + INSTRUCTION + "### 入力:\n" + q + "\n\n### 応答:\n" (no "\n\n" before
// "### 入力:"); HEAD (5a857e3) inserts it.
const DESCRIPTION = "以下は、タスクを説明する指示と、文脈のある入力の組み合わせです。要求を適切に満たす応答を書きなさい。\n\n";
const INSTRUCTION = "与えられた問題に対して、ステップごとに答えを導き出してください。";

const dir = path.resolve(process.cwd(), "../shared/datasets/mgsm");
const testFile = path.join(dir, "mgsm_ja.tsv");
const trainFile = path.join(dir, "mgsm_ja_train_exemplars.jsonl");
const skip = sharedSkip(testFile, trainFile);

interface RawExemplar {
  question: string;
  answer: string;
  answer_number: number;
}

const removeAll = (s: string, what: string) => s.split(what).join("");
const blockC0 = (q: string) => `### 指示:\n${INSTRUCTION}### 入力:\n${removeAll(q, "問題：")}\n\n### 応答:\n`;
const blockHead = (q: string) => `### 指示:\n${INSTRUCTION}\n\n### 入力:\n${removeAll(q, "問題：")}\n\n### 応答:\n`;
const targetOf = (r: RawExemplar) => removeAll(r.answer, "ステップごとの答え：");

function loadAll() {
  const testText = readFileSync(testFile, "utf8");
  const trainText = readFileSync(trainFile, "utf8");
  const rawTest = testText
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => {
      const [question, answer] = l.split("\t");
      return { question: question!, answer: answer! };
    });
  const rawTrain = trainText
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as RawExemplar);
  return {
    rawTest,
    rawTrain,
    testRecords: parseRecords(testText, "tsv_question_answer", testFile),
    trainRecords: parseRecords(trainText, "jsonl", trainFile),
  };
}

test("MGSM metadata: c0 by default, HEAD's template by name", () => {
  assert.equal(mgsmTask.name, "mgsm-1.0-0.3");
  assert.ok(mgsmTask.aliases.includes("mgsm"));
  assert.equal(mgsmHeadTask.name, "mgsm-1.0-0.3-head");
  for (const t of [mgsmTask, mgsmHeadTask]) {
    assert.equal(t.version, "1.0");
    assert.equal(t.defaultShots, 5);
    assert.equal(t.primaryMetric, "acc");
    assert.deepEqual(t.fewshot, { kind: "random" });
    assert.deepEqual(t.evalData, { dataset: "mgsm_ja", split: "test" });
    assert.deepEqual(t.fewshotData, { dataset: "mgsm_ja", split: "train" });
  }
});

test("MGSM 0-shot prompts: c0 lacks the blank line before ### 入力:, HEAD has it", () => {
  const doc: MgsmDoc = { question: "りんごが3個あります。2個食べると何個残りますか？", answer: null, answerNumber: 1 };
  assert.equal(
    mgsmTask.fewshotContext(doc, []),
    "以下は、タスクを説明する指示と、文脈のある入力の組み合わせです。要求を適切に満たす応答を書きなさい。\n\n" +
      "### 指示:\n与えられた問題に対して、ステップごとに答えを導き出してください。### 入力:\n" +
      "りんごが3個あります。2個食べると何個残りますか？\n\n### 応答:\n",
  );
  assert.equal(
    mgsmHeadTask.fewshotContext(doc, []),
    "以下は、タスクを説明する指示と、文脈のある入力の組み合わせです。要求を適切に満たす応答を書きなさい。\n\n" +
      "### 指示:\n与えられた問題に対して、ステップごとに答えを導き出してください。\n\n### 入力:\n" +
      "りんごが3個あります。2個食べると何個残りますか？\n\n### 応答:\n",
  );
});

test("MGSM 5-shot prompt of the first shuffled doc (44) with exemplars [6, 1, 0, 5, 3]", { skip }, () => {
  const { rawTest, rawTrain, testRecords, trainRecords } = loadAll();
  const evalDocs = mgsmTask.parseDocs("eval", testRecords);
  const trainDocs = mgsmTask.parseDocs("fewshot", trainRecords);
  assert.equal(evalDocs.length, 250);
  assert.equal(trainDocs.length, 8);

  const rnd = new PyRandom(42);
  const order = evalDocs.map((_, i) => i);
  rnd.shuffle(order);
  assert.deepEqual(order.slice(0, 8), [44, 98, 184, 123, 121, 167, 9, 176]);
  const shots = rnd.sample(trainDocs, 5);
  assert.deepEqual(
    shots.map((s) => trainDocs.indexOf(s)),
    [6, 1, 0, 5, 3],
  );

  const shotIdx = [6, 1, 0, 5, 3];
  const doc = evalDocs[44]!;
  assert.equal(doc.answerNumber, 20);
  const expectedC0 = DESCRIPTION + shotIdx.map((i) => blockC0(rawTrain[i]!.question) + targetOf(rawTrain[i]!)).join("\n\n") + "\n\n" + blockC0(rawTest[44]!.question);
  const expectedHead = DESCRIPTION + shotIdx.map((i) => blockHead(rawTrain[i]!.question) + targetOf(rawTrain[i]!)).join("\n\n") + "\n\n" + blockHead(rawTest[44]!.question);
  assert.equal(mgsmTask.fewshotContext(doc, shots), expectedC0);
  assert.equal(mgsmHeadTask.fewshotContext(doc, shots), expectedHead);
  assert.notEqual(expectedC0, expectedHead);
  // The exemplar prefixes are gone from every shot, and no shot carries "問題：".
  assert.ok(!expectedC0.includes("問題：") && !expectedC0.includes("ステップごとの答え："));
  // The first shot's target starts right after "### 応答:\n".
  assert.ok(expectedC0.includes("### 応答:\n" + rawTrain[6]!.answer.slice("ステップごとの答え：".length)));

  assert.deepEqual(mgsmTask.constructRequests(doc, expectedC0), [
    { type: "generate", context: expectedC0, until: [{ eosToken: true }, "\n"], maxTokens: { kind: "fixed", tokens: 256 } },
  ]);
});

test("MGSM keeps the literal newline of the 5th exemplar's question", { skip }, () => {
  const { trainRecords } = loadAll();
  const trainDocs = mgsmTask.parseDocs("fewshot", trainRecords);
  const doc: MgsmDoc = { question: "Q", answer: null, answerNumber: 0 };
  const ctx = mgsmTask.fewshotContext(doc, [trainDocs[4]!]);
  assert.ok(ctx.includes("### 入力:\nマイケルは58個のゴルフボールを持っています。火曜日、彼は\n23個のゴルフボールを失くしました。"));
  assert.ok(ctx.includes("### 応答:\nマイケルは最初58個のゴルフボールがあり、"));
});

test("MGSM answer numbers: thousands commas of the TSV are dropped", { skip }, () => {
  const { testRecords } = loadAll();
  const docs = mgsmTask.parseDocs("eval", testRecords);
  assert.equal(docs[0]!.answerNumber, 18);
  assert.equal(docs[146]!.answerNumber, 2125);
  assert.equal(docs[201]!.answerNumber, 114200);
  assert.equal(docs[230]!.answerNumber, 276000);
  assert.equal(docs[249]!.answerNumber, 5600);
  assert.equal(docs[0]!.answer, null);
});

test("MGSM acc through processResults: last number in the completion, commas and trailing dots dropped", () => {
  const doc: MgsmDoc = { question: "q", answer: null, answerNumber: 1234 };
  const acc = (completion: string) => mgsmTask.processResults(doc, [completion], {}).acc;
  assert.equal(acc("全部で1,234個です。答えは1,234です。"), 1);
  assert.equal(acc("答えは1234."), 1); // strip('.')
  assert.equal(acc("答えは1234.0"), 1); // float 1234.0 is an integer
  assert.equal(acc("1234個、そして5個"), 0); // the last match counts
  assert.equal(acc("1234.5"), 0); // not an integer: invalid
  assert.equal(acc("わかりません"), 0); // no number: invalid
  assert.equal(acc("..."), 0); // "" after strip: c0 crashes (ValueError), here invalid
  const negative: MgsmDoc = { question: "q", answer: null, answerNumber: -3 };
  assert.equal(mgsmTask.processResults(negative, ["答えは-3です"], {}).acc, 1);
});

test("MGSM few-shot docs need their chain-of-thought answer", () => {
  assert.throws(() => mgsmTask.parseDocs("fewshot", [{ question: "問題：q", answer_number: 3 }]), /field "answer"/);
  const [doc] = mgsmTask.parseDocs("eval", [{ question: "q", answer: "x" }].map((r) => ({ ...r, answer_number: 7 })));
  assert.equal(doc!.answerNumber, 7);
  assert.throws(() => mgsmTask.parseDocs("eval", [{ question: "q", answer: "abc" }]), /answer_number/);
});
