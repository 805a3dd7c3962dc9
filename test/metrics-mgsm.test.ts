// Expected answers: Stability's MGSM `_extract_answer` (lm_eval/tasks/ja/mgsm.py @ 0fa86429, with
// HEAD's `except ValueError: return INVALID_ANS`) run on CPython 3.11.7 for each input below.
import { test } from "node:test";
import assert from "node:assert/strict";
import { extractMgsmAnswer, mgsmAccuracy } from "../src/metrics/mgsm.js";

const CASES: ReadonlyArray<readonly [string, number | "INVALID"]> = [
  ["答えは 1,234 です。", 1234],
  ["...は18ドルです。", 18],
  ["3.5", "INVALID"],
  ["-7", -7],
  ["no number", "INVALID"],
  ["....", "INVALID"], // c0: ValueError on float("")
  ["5.", 5],
  ["The answer is 18.\n", 18],
  [".5", 5], // strip('.') removes the leading dot too
  ["-.5", "INVALID"],
  ["0.5", "INVALID"],
  ["1.2.3", "INVALID"], // c0: ValueError
  ["-,", "INVALID"], // c0: ValueError on float("-")
  [",", "INVALID"],
  ["１８", "INVALID"], // full-width digits are not [0-9]
  ["1-2", -2],
  ["--5", -5],
  ["12,345.00", 12345],
  ["1.0", 1],
  ["答えは18です。次の問題は3.5", "INVALID"], // the LAST match counts
  ["-5.", -5],
  ["1,2,3", 123],
  ["18 ドル、 19.", 19],
  ["-", "INVALID"],
  ["", "INVALID"],
  ["1".repeat(400), "INVALID"], // float overflows to inf; inf.is_integer() is False
  ["12345678901234567890", 12345678901234567168],
];

test("extractMgsmAnswer matches the reference on each case", () => {
  for (const [completion, expected] of CASES) {
    assert.equal(extractMgsmAnswer(completion), expected, `extract(${JSON.stringify(completion.slice(0, 40))})`);
  }
});

test("-0 extracts as a plain 0", () => {
  const v = extractMgsmAnswer("-0");
  assert.ok(Object.is(v, 0));
});

test("mgsmAccuracy compares the extracted integer with answer_number", () => {
  assert.equal(mgsmAccuracy("ステップごとに考えると、答えは18です。", 18), 1);
  assert.equal(mgsmAccuracy("答えは18です。", 19), 0);
  assert.equal(mgsmAccuracy("答えは 1,234 です。", 1234), 1);
  assert.equal(mgsmAccuracy("3.5", 3), 0);
  assert.equal(mgsmAccuracy("no number", 0), 0);
  assert.equal(mgsmAccuracy("....", 0), 0);
  assert.equal(mgsmAccuracy("-0", 0), 1);
});
