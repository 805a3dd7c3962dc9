import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { LoglikelihoodResponse } from "../src/api/types.js";
import { xwinogradJaTask } from "../src/tasks/ja/xwinogradJa.js";
import { sharedSkip } from "./support/sharedData.js";

const file = path.resolve(process.cwd(), "../shared/datasets/xwinograd/jp_test_stability_format.jsonl");
const skip = sharedSkip(file);

const r = (logprob: number, isGreedy = false): LoglikelihoodResponse => ({ logprob, isGreedy });

test("xWinograd metadata: 0-shot, version 1.0 (XWinograd.VERSION)", () => {
  assert.equal(xwinogradJaTask.name, "xwinograd_ja");
  assert.equal(xwinogradJaTask.version, "1.0");
  assert.equal(xwinogradJaTask.defaultShots, 0);
  assert.deepEqual(xwinogradJaTask.fewshot, { kind: "none" });
  assert.equal(xwinogradJaTask.fewshotData, undefined);
  assert.deepEqual(xwinogradJaTask.evalData, { dataset: "xwinograd_ja", split: "test" });
  assert.equal(xwinogradJaTask.primaryMetric, "acc");
});

test("xWinograd: empty context and one request per full sentence, from the real file", { skip }, () => {
  const raw = readFileSync(file, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as { sentence1: string; sentence2: string; answer: string });
  const docs = xwinogradJaTask.parseDocs("eval", raw);
  assert.equal(docs.length, 959);
  const doc = docs[0]!;
  assert.equal(doc.answer, 2);
  const ctx = xwinogradJaTask.fewshotContext(doc, []);
  assert.equal(ctx, "");
  assert.deepEqual(xwinogradJaTask.constructRequests(doc, ctx), [
    { type: "loglikelihood", context: "", continuation: "狙撃兵はテロリストを撃った。狙撃兵は悪漢だったからだ。", tokenization: "separate" },
    { type: "loglikelihood", context: "", continuation: "狙撃兵はテロリストを撃った。テロリストは悪漢だったからだ。", tokenization: "separate" },
  ]);
  assert.equal(docs[1]!.answer, 1);
  assert.throws(() => xwinogradJaTask.constructRequests(doc, "x"), /context must be empty/);
  assert.throws(() => xwinogradJaTask.fewshotContext(doc, [docs[1]!]), /0-shot/);
});

test("xWinograd acc: the gold sentence must score strictly higher", () => {
  const [one, two] = xwinogradJaTask.parseDocs("eval", [
    { sentence1: "a", sentence2: "b", answer: "1" },
    { sentence1: "a", sentence2: "b", answer: "2" },
  ]);
  assert.equal(xwinogradJaTask.processResults(one!, [r(-1), r(-2)], {}).acc, 1);
  assert.equal(xwinogradJaTask.processResults(one!, [r(-2), r(-1)], {}).acc, 0);
  assert.equal(xwinogradJaTask.processResults(two!, [r(-2), r(-1)], {}).acc, 1);
  // A tie is wrong for either gold (unlike argmax, which would give sentence 1 the point).
  assert.equal(xwinogradJaTask.processResults(one!, [r(-1.5), r(-1.5)], {}).acc, 0);
  assert.equal(xwinogradJaTask.processResults(two!, [r(-1.5), r(-1.5)], {}).acc, 0);
});

test("xWinograd acc on an exact logprob tie compares the (logprob, is_greedy) tuples, as the reference does", () => {
  // The reference requests have no [0], so li1/li2 are tuples and Python's tuple order breaks a tie
  // with is_greedy (True > False).
  const [one, two] = xwinogradJaTask.parseDocs("eval", [
    { sentence1: "a", sentence2: "b", answer: "1" },
    { sentence1: "a", sentence2: "b", answer: "2" },
  ]);
  assert.equal(xwinogradJaTask.processResults(one!, [r(-1.5, true), r(-1.5, false)], {}).acc, 1);
  assert.equal(xwinogradJaTask.processResults(two!, [r(-1.5, true), r(-1.5, false)], {}).acc, 0);
  assert.equal(xwinogradJaTask.processResults(two!, [r(-1.5, true), r(-1.5, true)], {}).acc, 0);
  // The logprob decides whenever it differs, whatever the greediness.
  assert.equal(xwinogradJaTask.processResults(two!, [r(-1.5, true), r(-1.4, false)], {}).acc, 1);
});

test("xWinograd rejects an answer other than 1 or 2", () => {
  assert.throws(() => xwinogradJaTask.parseDocs("eval", [{ sentence1: "a", sentence2: "b", answer: "3" }]), /"answer"/);
});

test("xWinograd's samples record the dataset's 1-based answer as gold (the reference's samples target) and the gold sentence as target", () => {
  const [one, two] = xwinogradJaTask.parseDocs("eval", [
    { sentence1: "a", sentence2: "b", answer: "1" },
    { sentence1: "a", sentence2: "b", answer: "2" },
  ]);
  assert.deepEqual(xwinogradJaTask.describeDoc!(one!), { gold: 1, target: "a" });
  assert.deepEqual(xwinogradJaTask.describeDoc!(two!), { gold: 2, target: "b" });
});
