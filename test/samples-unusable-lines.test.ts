// Sample records a reader cannot use are reported, with how many and where the first is, not
// skipped silently: the report's explorer (loadSampleDocs) and compare's agreement
// (loadSampleChoices) read the same samples files. lm-eval's own records (arguments, resps) are
// valid and are not counted.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { loadSampleChoices, type RunScores } from "../src/results/read.js";
import { loadSampleDocs } from "../src/results/sampleDocs.js";

const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-unusable-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const TASK = "jnli";

/** A record as rakuten-eval's older layout writes it: the request records at the top level. */
const record = (docId: number) => ({ task: TASK, doc_id: docId, shuffled_index: docId, requests: [{ type: "loglikelihood", context: "c", continuation: " a" }], responses: [{ logprob: -1.5, isGreedy: true }], metrics: { acc: 1 }, doc: {} });

function runWith(lines: unknown[]): RunScores {
  const file = path.join(scratch, `samples_${TASK}_${lines.length}.jsonl`);
  writeFileSync(file, lines.map((l) => JSON.stringify(l)).join("\n") + "\n");
  return { kind: "run", dir: scratch, samples: new Map([[TASK, { file, metricKeys: { acc: "acc" } }]]) } as unknown as RunScores;
}

test("lines that are not sample records: the count and the first file:line, from both readers", () => {
  // Lines 1 and 4 are good; 2 lacks doc_id, 3 has no responses, 5 is a number: 3 unusable, the first at line 2.
  const run = runWith([record(0), { ...record(1), doc_id: undefined }, { ...record(2), responses: undefined }, record(3), 7]);
  const file = run.samples!.get(TASK)!.file;
  const expected = (what: string) => `${file} has 3 line(s) that are not ${what} (the first: ${file}:2); the samples file is damaged (rerun \`rakuten-eval run\`).`;
  assert.throws(() => loadSampleDocs(run, TASK), { message: expected("sample records (doc_id, requests, responses)") });
  assert.throws(() => loadSampleChoices(run, TASK), { message: expected("sample records (doc_id with requests and responses, or lm-eval's arguments and resps)") });
});

test("good records, and lm-eval's own, read without a complaint", () => {
  const lmEval = { doc_id: 5, arguments: { gen_args_0: { arg_0: "c", arg_1: " a" } }, resps: [[["-1.5", "True"]]], filtered_resps: [["-1.5", "True"]], acc: 1 };
  const run = runWith([record(0), record(1), lmEval]);
  assert.deepEqual(
    loadSampleDocs(run, TASK)!.map((d) => d.docId),
    [0, 1],
  );
  assert.deepEqual([...loadSampleChoices(run, TASK)!.keys()], [0, 1, 5]);
});
