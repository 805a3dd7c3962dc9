import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { LoglikelihoodResponse } from "../src/api/types.js";
import { PyRandom } from "../src/random/pyRandom.js";
import { jcommonsenseqaTask, type JCommonsenseQADoc } from "../src/tasks/ja/jcommonsenseqa.js";
import { sharedSkip } from "./support/sharedData.js";

// Expected prompts are written from the spec's template (§2.5, §3.1) and the raw JSON fields,
// independently of the task code.
const DESCRIPTION = "以下は、タスクを説明する指示と、文脈のある入力の組み合わせです。要求を適切に満たす応答を書きなさい。\n\n";

const dir = path.resolve(process.cwd(), "../shared/datasets/jcommonsenseqa");
const validFile = path.join(dir, "valid-v1.1.json");
const trainFile = path.join(dir, "train-v1.1.json");
const skip = sharedSkip(validFile, trainFile);

interface RawJcs {
  q_id: number;
  question: string;
  choice0: string;
  choice1: string;
  choice2: string;
  choice3: string;
  choice4: string;
  label: number;
}

function readJsonl<T>(file: string): T[] {
  return readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as T);
}

const choicesOf = (r: RawJcs): string[] => [r.choice0, r.choice1, r.choice2, r.choice3, r.choice4];

function expectedText(r: RawJcs): string {
  return (
    "### 指示:\n与えられた選択肢の中から、最適な答えを選んでください。出力は以下から選択してください：\n" +
    choicesOf(r).map((c) => "- " + c).join("\n") +
    "\n\n### 入力:\n" +
    r.question +
    "\n\n### 応答:\n"
  );
}

const ll = (values: number[]): LoglikelihoodResponse[] => values.map((logprob) => ({ logprob, isGreedy: false }));

test("JCommonsenseQA metadata", () => {
  assert.equal(jcommonsenseqaTask.name, "jcommonsenseqa-1.1-0.3");
  assert.ok(jcommonsenseqaTask.aliases.includes("jcs"));
  assert.equal(jcommonsenseqaTask.version, "1.1");
  assert.equal(jcommonsenseqaTask.promptVersion, "0.3");
  assert.equal(jcommonsenseqaTask.defaultShots, 3);
  assert.equal(jcommonsenseqaTask.primaryMetric, "acc");
  assert.deepEqual(jcommonsenseqaTask.fewshot, { kind: "random" });
  assert.deepEqual(jcommonsenseqaTask.evalData, { dataset: "jcommonsenseqa", split: "validation" });
  assert.deepEqual(jcommonsenseqaTask.fewshotData, { dataset: "jcommonsenseqa", split: "train" });
  assert.deepEqual(Object.keys(jcommonsenseqaTask.metrics).sort(), ["acc", "acc_norm"]);
});

test("the 0.3 description is the spec's 52 characters / 152 UTF-8 bytes", () => {
  assert.equal(Array.from(DESCRIPTION).length, 52);
  assert.equal(Buffer.byteLength(DESCRIPTION, "utf8"), 152);
});

test("JCommonsenseQA 0-shot and 1-shot prompts, every character pinned", () => {
  const doc: JCommonsenseQADoc = {
    qId: 8939,
    question: "電子機器で使用される最も主要な電子回路基板の事をなんと言う？",
    choices: ["掲示板", "パソコン", "マザーボード", "ハードディスク", "まな板"],
    gold: 2,
  };
  const shot: JCommonsenseQADoc = { qId: 8940, question: "田んぼが広がる風景を何という？", choices: ["畑", "海", "田園", "地方", "牧場"], gold: 2 };
  assert.equal(
    jcommonsenseqaTask.fewshotContext(doc, []),
    "以下は、タスクを説明する指示と、文脈のある入力の組み合わせです。要求を適切に満たす応答を書きなさい。\n\n" +
      "### 指示:\n与えられた選択肢の中から、最適な答えを選んでください。出力は以下から選択してください：\n" +
      "- 掲示板\n- パソコン\n- マザーボード\n- ハードディスク\n- まな板\n\n" +
      "### 入力:\n電子機器で使用される最も主要な電子回路基板の事をなんと言う？\n\n### 応答:\n",
  );
  assert.equal(
    jcommonsenseqaTask.fewshotContext(doc, [shot]),
    "以下は、タスクを説明する指示と、文脈のある入力の組み合わせです。要求を適切に満たす応答を書きなさい。\n\n" +
      "### 指示:\n与えられた選択肢の中から、最適な答えを選んでください。出力は以下から選択してください：\n" +
      "- 畑\n- 海\n- 田園\n- 地方\n- 牧場\n\n### 入力:\n田んぼが広がる風景を何という？\n\n### 応答:\n田園\n\n" +
      "### 指示:\n与えられた選択肢の中から、最適な答えを選んでください。出力は以下から選択してください：\n" +
      "- 掲示板\n- パソコン\n- マザーボード\n- ハードディスク\n- まな板\n\n" +
      "### 入力:\n電子機器で使用される最も主要な電子回路基板の事をなんと言う？\n\n### 応答:\n",
  );
});

test("JCommonsenseQA: the first shuffled doc (1032) with shots [8903, 6180, 7460] from the real files", { skip }, () => {
  const rawValid = readJsonl<RawJcs>(validFile);
  const rawTrain = readJsonl<RawJcs>(trainFile);
  const evalDocs = jcommonsenseqaTask.parseDocs("eval", rawValid);
  const trainDocs = jcommonsenseqaTask.parseDocs("fewshot", rawTrain);
  assert.equal(evalDocs.length, 1119);
  assert.equal(trainDocs.length, 8939);

  // Harness RNG sequence (spec §5): Random(42); shuffle the eval docs; sample(train, 3) per doc.
  const rnd = new PyRandom(42);
  const order = evalDocs.map((_, i) => i);
  rnd.shuffle(order);
  assert.deepEqual(order.slice(0, 8), [1032, 816, 575, 91, 403, 921, 629, 27]);
  const shots = rnd.sample(trainDocs, 3);
  assert.deepEqual(
    shots.map((s) => trainDocs.indexOf(s)),
    [8903, 6180, 7460],
  );

  const doc = evalDocs[1032]!;
  const r = rawValid[1032]!;
  const s = [rawTrain[8903]!, rawTrain[6180]!, rawTrain[7460]!];
  const expected =
    DESCRIPTION +
    s.map((x) => expectedText(x) + choicesOf(x)[x.label]).join("\n\n") +
    "\n\n" +
    expectedText(r);
  const ctx = jcommonsenseqaTask.fewshotContext(doc, shots);
  assert.equal(ctx, expected);

  const requests = jcommonsenseqaTask.constructRequests(doc, ctx);
  assert.deepEqual(
    requests,
    choicesOf(r).map((c) => ({ type: "loglikelihood", context: expected, continuation: c, tokenization: "separate" })),
  );
  assert.deepEqual(jcommonsenseqaTask.describeDoc!(doc), { qId: r.q_id, gold: r.label, target: choicesOf(r)[r.label], choices: choicesOf(r) });
});

test("JCommonsenseQA acc: argmax with the first maximum winning a tie; acc_norm divides by characters", () => {
  const doc: JCommonsenseQADoc = { qId: 1, question: "q", choices: ["あ", "いい", "ううう", "ええ", "お"], gold: 1 };
  // Plain argmax.
  assert.deepEqual(jcommonsenseqaTask.processResults(doc, ll([-5, -1, -3, -4, -6]), {}), { acc: 1, acc_norm: 1 });
  // Tie between index 1 and 3: np.argmax takes index 1 (gold) ...
  assert.equal(jcommonsenseqaTask.processResults(doc, ll([-5, -2, -3, -2, -6]), {}).acc, 1);
  // ... and index 0 when it is first among equals (gold 1 loses).
  assert.equal(jcommonsenseqaTask.processResults(doc, ll([-2, -2, -3, -4, -6]), {}).acc, 0);
  // acc_norm: plain acc picks index 1 (-2 > -2.9), but per character -2.9/3 ≈ -0.97 beats -2/2 = -1.
  const long: JCommonsenseQADoc = { ...doc, gold: 2 };
  assert.deepEqual(jcommonsenseqaTask.processResults(long, ll([-9, -2, -2.9, -9, -9]), {}), { acc: 0, acc_norm: 1 });
  // Characters are code points: "𠀋" (one astral character, two UTF-16 units) has length 1.
  const astral: JCommonsenseQADoc = { qId: 2, question: "q", choices: ["𠀋", "ab", "c", "d", "e"], gold: 1 };
  // ll/len: -3/1 = -3 vs -5/2 = -2.5 -> index 1. With UTF-16 length the first would be -1.5 and win.
  assert.equal(jcommonsenseqaTask.processResults(astral, ll([-3, -5, -99, -99, -99]), {}).acc_norm, 1);
  assert.throws(() => jcommonsenseqaTask.processResults(doc, ll([-1, -2]), {}), /5 loglikelihood responses/);
});

test("JCommonsenseQA parseDocs rejects a record without its choices", () => {
  assert.throws(
    () => jcommonsenseqaTask.parseDocs("eval", [{ q_id: 1, question: "q", choice0: "a", label: 0 }]),
    /record 1 field "choice1"/,
  );
});
