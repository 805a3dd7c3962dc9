import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { parseRecords } from "../src/datasets/formats.js";
import { xlsumJaTask, type XlsumJaDoc } from "../src/tasks/ja/xlsumJa.js";
import { sharedSkip } from "./support/sharedData.js";

// Expected strings from the spec's template (§2.5, §3.6), written out by hand. The shared file is a
// 417-row subset of a test split (the train split is missing), so its docs serve as shots too.
const DESCRIPTION = "以下は、タスクを説明する指示と、文脈のある入力の組み合わせです。要求を適切に満たす応答を書きなさい。\n\n";

const subsetFile = path.resolve(process.cwd(), "../shared/datasets/xlsum_ja/PARTIAL_test_subset_417_sena2327.jsonl");
const skip = sharedSkip(subsetFile);

const block = (text: string) => `### 指示:\n与えられたニュース記事を要約してください。\n\n### 入力:\nニュース記事:${text}\n\n### 応答:\n`;

/** A stand-in tokenizer: one id per code point. */
const charIds = (s: string): number[] => Array.from(s, (c) => c.codePointAt(0)!);

const close = (actual: number | undefined, expected: number) => assert.ok(actual !== undefined && Math.abs(actual - expected) < 1e-9, `${actual} ≉ ${expected}`);

test("XLSum metadata: rouge2 is the bootstrap mid, with a plain mean and P/R kept per doc", () => {
  assert.equal(xlsumJaTask.name, "xlsum_ja-1.0-0.3");
  assert.equal(xlsumJaTask.version, "1.0");
  assert.equal(xlsumJaTask.defaultShots, 1);
  assert.equal(xlsumJaTask.primaryMetric, "rouge2");
  assert.deepEqual(xlsumJaTask.metrics.rouge2, { aggregation: "rouge2_bootstrap_mid", higherIsBetter: true, scale: 1, sampleScale: 100 });
  assert.equal(xlsumJaTask.metrics.rouge2_mean?.aggregation, "mean");
  assert.ok(xlsumJaTask.metrics.rouge2_precision && xlsumJaTask.metrics.rouge2_recall);
  assert.deepEqual(xlsumJaTask.evalData, { dataset: "xlsum_ja", split: "test" });
  assert.deepEqual(xlsumJaTask.fewshotData, { dataset: "xlsum_ja", split: "train" });
});

test("XLSum 0-shot prompt, every character pinned (ASCII colon after ニュース記事)", () => {
  const doc: XlsumJaDoc = { id: null, text: "東京で雪が降った。交通が乱れた。", summary: "東京で雪。" };
  assert.equal(
    xlsumJaTask.fewshotContext(doc, []),
    "以下は、タスクを説明する指示と、文脈のある入力の組み合わせです。要求を適切に満たす応答を書きなさい。\n\n" +
      "### 指示:\n与えられたニュース記事を要約してください。\n\n### 入力:\nニュース記事:東京で雪が降った。交通が乱れた。\n\n### 応答:\n",
  );
});

test("XLSum 1-shot prompt and request from the shared subset", { skip }, () => {
  const text = readFileSync(subsetFile, "utf8");
  const raw = text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as { title: string; summary: string; text: string });
  const docs = xlsumJaTask.parseDocs("eval", parseRecords(text, "jsonl", subsetFile));
  assert.equal(docs.length, 417);
  assert.ok(raw[0]!.summary.startsWith("ドナルド・トランプ米大統領は10日"));

  const ctx = xlsumJaTask.fewshotContext(docs[0]!, [docs[1]!]);
  const expected = DESCRIPTION + block(raw[1]!.text) + raw[1]!.summary + "\n\n" + block(raw[0]!.text);
  assert.equal(ctx, expected);
  assert.ok(!ctx.includes(raw[0]!.title)); // the title is not used
  assert.deepEqual(xlsumJaTask.constructRequests(docs[0]!, ctx), [
    { type: "generate", context: expected, until: ["\n"], maxTokens: { kind: "longestInModelTokens", texts: [raw[0]!.summary], extra: 10 } },
  ]);
});

test("XLSum per-doc ROUGE-2 over the model's token ids, reference = summary, prediction = generation", () => {
  const doc: XlsumJaDoc = { id: null, text: "t", summary: "abcd" };
  // Reference bigrams ab, bc, cd (3); prediction abcxy: ab, bc, cx, xy (4); overlap 2.
  // P = 2/4, R = 2/3, F = 2PR/(P+R) = 4/7.
  const out = xlsumJaTask.processResults(doc, ["abcxy"], { tokenize: charIds });
  // P/R/F per doc on rouge-score's 0-1 scale (the bootstrap rows); the plain-mean metric on 0-100.
  close(out.rouge2_precision, 0.5);
  close(out.rouge2_recall, 2 / 3);
  close(out.rouge2, 4 / 7);
  close(out.rouge2_mean, 400 / 7);
  // Repeated bigrams are clipped: reference "aaa" has aa×2, prediction "aa" has aa×1.
  const rep = xlsumJaTask.processResults({ ...doc, summary: "aaa" }, ["aa"], { tokenize: charIds });
  close(rep.rouge2_precision, 1);
  close(rep.rouge2_recall, 0.5);
  // No bigram in common (or an empty generation) scores 0.
  assert.equal(xlsumJaTask.processResults(doc, [""], { tokenize: charIds }).rouge2, 0);
});

test("XLSum scoring without the model's tokenizer is an error", () => {
  const doc: XlsumJaDoc = { id: null, text: "t", summary: "abcd" };
  assert.throws(() => xlsumJaTask.processResults(doc, ["abcd"], {}), /tokenizer/);
});
