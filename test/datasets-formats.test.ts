// parseRecords on small hand-written inputs (expected values worked out by hand / Python's csv rules).
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseRecords, type JaqketRecord } from "../src/datasets/formats.js";
import { DatasetError } from "../src/util/errors.js";

const parseError = (pattern: RegExp) => (e: unknown) => e instanceof DatasetError && e.reason === "parse" && pattern.test(e.message);

test("mmlu_csv: doubled quotes, CRLF rows and blank lines as Python's csv reads them", () => {
  const text = 'What is "x"?,a,b,c,d,A\r\n\r\n"He said ""hi"", then\nleft",None,"1,2",c,d,B\n\n';
  assert.deepEqual(parseRecords(text, "mmlu_csv", "f.csv"), [
    { question: 'What is "x"?', choices: ["a", "b", "c", "d"], answer: "A" },
    { question: 'He said "hi", then\nleft', choices: ["None", "1,2", "c", "d"], answer: "B" },
  ]);
  assert.throws(() => parseRecords("q,a,b,c,A\n", "mmlu_csv", "f.csv"), parseError(/f\.csv: row 1 has 5 fields/));
  assert.throws(() => parseRecords('"q,a,b,c,d,A\n', "mmlu_csv", "f.csv"), parseError(/unterminated quoted field/));
});

test("tsv_question_answer: question<TAB>answer rows; a row without the tab is named", () => {
  assert.deepEqual(parseRecords("問1\t2,125\r\n問2\t7\n", "tsv_question_answer", "m.tsv"), [
    { question: "問1", answer: "2,125" },
    { question: "問2", answer: "7" },
  ]);
  assert.throws(() => parseRecords("a\t1\nb 2\n", "tsv_question_answer", "m.tsv"), parseError(/^m\.tsv: row 2 has 1 tab-separated fields, expected 2/));
});

test("squad_nested: a missing top-level key is a parse error naming the key", () => {
  assert.throws(() => parseRecords('{"train": []}', "squad_nested", "s.json"), parseError(/top-level "data" array/));
  assert.deepEqual(parseRecords('{"train": []}', "squad_nested", "s.json", "train"), []);
});

test("jaqket_dpr: one JSON array; has_answer 1 counts as True (Python ==); ids and scores as HF casts them", () => {
  const file = JSON.stringify([
    { qid: "Q1", question: "問?", answers: ["答"], ctxs: [{ id: 7, title: "t", text: "x", score: "0.1", has_answer: 1 }] },
    { qid: "Q2", question: "問2?", answers: ["答2"], ctxs: [{ id: "8", title: "t", text: "y", score: 1, has_answer: "true" }] },
  ]);
  const records = parseRecords(file, "jaqket_dpr", "j.json") as JaqketRecord[];
  // Q2's has_answer is the string "true", which Python's `True in [...]` does not match.
  assert.deepEqual(records.map((r) => r.qid), ["Q1"]);
  assert.deepEqual(records[0]!.ctxs, { id: ["7"], title: ["t"], text: ["x"], score: [0.10000000149011612], has_answer: [true] });
  assert.throws(() => parseRecords('{"qid": "Q1"}\n{"qid": "Q2"}\n', "jaqket_dpr", "j.json"), parseError(/^j\.json: not valid JSON/));
  assert.throws(() => parseRecords('{"data": []}', "jaqket_dpr", "j.json"), parseError(/expected a JSON array/));
  assert.throws(() => parseRecords('[{"qid": "Q1"}]', "jaqket_dpr", "j.json"), parseError(/item 1 lacks question\/answers\/ctxs/));
});
