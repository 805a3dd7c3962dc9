import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { LoglikelihoodResponse } from "../src/api/types.js";
import { parseRecords } from "../src/datasets/formats.js";
import { marcJaTask } from "../src/tasks/ja/marcJa.js";

// The real MARC-ja splits are not available here; the fixtures are invented reviews in the JGLUE
// format. Expected strings follow the spec's template (§2.5, §3.3), written out by hand.
const fixtureDir = path.resolve(process.cwd(), "test/fixtures/datasets/marc_ja");

const ll = (values: number[]): LoglikelihoodResponse[] => values.map((logprob) => ({ logprob, isGreedy: false }));

function load(name: string): unknown[] {
  const file = path.join(fixtureDir, name);
  return parseRecords(readFileSync(file, "utf8"), "jsonl", file);
}

test("MARC-ja metadata", () => {
  assert.equal(marcJaTask.name, "marc_ja-1.1-0.3");
  assert.ok(marcJaTask.aliases.includes("marc_ja"));
  assert.equal(marcJaTask.version, "1.1");
  assert.equal(marcJaTask.defaultShots, 3);
  assert.equal(marcJaTask.primaryMetric, "acc");
  assert.deepEqual(marcJaTask.evalData, { dataset: "marc_ja", split: "validation" });
  assert.deepEqual(marcJaTask.fewshotData, { dataset: "marc_ja", split: "train" });
});

test("MARC-ja labels: positive = 0, negative = 1 (HF ClassLabel order)", () => {
  const docs = marcJaTask.parseDocs("eval", load("valid-v1.1.json"));
  assert.equal(docs.length, 6);
  assert.deepEqual(
    docs.map((d) => d.gold),
    [0, 1, 0, 1, 0, 1],
  );
  assert.equal(docs[0]!.reviewId, "RFIXV0000000001");
  assert.throws(() => marcJaTask.parseDocs("eval", [{ sentence: "x", label: "neutral", review_id: "r" }]), /field "label"/);
});

test("MARC-ja 2-shot prompt, every character pinned, and its two requests", () => {
  const evalDocs = marcJaTask.parseDocs("eval", load("valid-v1.1.json"));
  const shots = marcJaTask.parseDocs("fewshot", load("train-v1.1.json"));
  const ctx = marcJaTask.fewshotContext(evalDocs[1]!, [shots[1]!, shots[0]!]);
  const expected =
    "以下は、タスクを説明する指示と、文脈のある入力の組み合わせです。要求を適切に満たす応答を書きなさい。\n\n" +
    "### 指示:\n以下の製品レビューを、ポジティブまたはネガティブの感情クラスのいずれかに分類してください。\n\n" +
    "### 入力:\n写真と色が全然違いました。返品しました。\n\n### 応答:\nネガティブ\n\n" +
    "### 指示:\n以下の製品レビューを、ポジティブまたはネガティブの感情クラスのいずれかに分類してください。\n\n" +
    "### 入力:\n軽くて持ち運びやすく、電池も長持ちします。\n\n### 応答:\nポジティブ\n\n" +
    "### 指示:\n以下の製品レビューを、ポジティブまたはネガティブの感情クラスのいずれかに分類してください。\n\n" +
    "### 入力:\n届いた時点で箱がつぶれていて、中の部品も一つ足りませんでした。残念です。\n\n### 応答:\n";
  assert.equal(ctx, expected);
  assert.deepEqual(marcJaTask.constructRequests(evalDocs[1]!, ctx), [
    { type: "loglikelihood", context: expected, continuation: "ポジティブ", tokenization: "separate" },
    { type: "loglikelihood", context: expected, continuation: "ネガティブ", tokenization: "separate" },
  ]);
});

test("MARC-ja acc on a negative review, tie to the first choice", () => {
  const [, negative] = marcJaTask.parseDocs("eval", load("valid-v1.1.json"));
  assert.equal(marcJaTask.processResults(negative!, ll([-2, -1]), {}).acc, 1);
  assert.equal(marcJaTask.processResults(negative!, ll([-1, -2]), {}).acc, 0);
  assert.equal(marcJaTask.processResults(negative!, ll([-1, -1]), {}).acc, 0);
});
