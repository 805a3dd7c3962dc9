// The results table fits the terminal (80, 120 and 200 columns, measured in terminal cells with
// string-width), keeps every task and figure, states the scale once, and aligns wide Japanese
// characters. The document is built here from the paper's columns and published figures.

import { test } from "node:test";
import assert from "node:assert/strict";
import stringWidth from "string-width";
import { allColumns, PAPER_AVERAGES } from "../src/paper/suites.js";
import { publishedAverage, publishedColumn, referenceFigures } from "../src/paper/published.js";
import type { ResultsDocument } from "../src/results/document.js";
import { renderResultsTable } from "../src/report/table.js";
import { coloursFor } from "../src/terminal/colour.js";

/** Every paper column with a made-up score, a subset row with a long name, and the averages. */
function document(extraTask?: string): ResultsDocument {
  const summary = allColumns().map((c, i) => ({
    key: c.key,
    task: c.task,
    metric: c.metric,
    shots: c.shots,
    score: 40 + i * 3.125,
    stderr: 1.5 + i / 10,
    n: 1000 + i,
    published: referenceFigures((m) => publishedColumn(m, c.key)),
    partialData: c.key === "jsquad",
  }));
  summary.push({ key: "mmlu_subset", task: "mmlu subset (2 of 57 subjects)", metric: "acc", shots: 5, score: 25, stderr: 3, n: 200, published: { "rakuten-ai-7b": null, "rakuten-ai-7b-instruct": null }, partialData: false });
  if (extraTask) summary.push({ key: extraTask, task: extraTask, metric: "acc", shots: 0, score: 12.5, stderr: null as unknown as number, n: 8, published: { "rakuten-ai-7b": null, "rakuten-ai-7b-instruct": null }, partialData: false });
  const averages = PAPER_AVERAGES.map((a, i) => ({
    id: a.id,
    label: a.label,
    value: i === 2 ? null : 50 + i,
    rounded: i === 2 ? null : 50 + i,
    tasks: [...a.columns],
    missing: i === 2 ? ["mmlu"] : [],
    partialValue: i === 2 ? 44.44 : null,
    published: referenceFigures((m) => publishedAverage(m, a)),
  }));
  const versions = Object.fromEntries(summary.map((r) => [r.task, "1.1"]));
  return { versions, group_subtasks: {}, rakuten_eval: { summary, averages } } as unknown as ResultsDocument;
}

const lines = (text: string) => text.split("\n");

for (const width of [80, 120, 200]) {
  test(`the results table fits ${width} columns and keeps every row and figure`, () => {
    const doc = document();
    const text = renderResultsTable(doc, { width });
    for (const line of lines(text)) assert.ok(stringWidth(line) <= width, `${stringWidth(line)} > ${width}: ${line}`);
    for (const row of doc.rakuten_eval.summary) {
      assert.ok(text.includes(row.task), `${row.task} missing at ${width}`);
      assert.ok(text.includes(row.score.toFixed(2)), `${row.task}'s score missing at ${width}`);
      for (const v of Object.values(row.published)) if (v !== null) assert.ok(text.includes(v.toFixed(2)), `${row.task}'s published ${v} missing at ${width}`);
    }
    for (const a of doc.rakuten_eval.averages) assert.ok(text.includes(a.label), `${a.label} missing at ${width}`);
    // The EN average is n/a: the table says why, once.
    assert.equal(text.match(/EN Avg \(4 tasks\): n\/a, 1 of 4 tasks missing \(44\.44 over the rest\)/g)?.length, 1);
    // The scale is stated once; both published models are named in full somewhere.
    assert.equal(text.match(/Scores are 0–100/g)?.length, 1);
    assert.match(text, /RakutenAI-7B-instruct/);
    assert.match(text, /\* partial data/);
  });
}

test("wide Japanese characters keep the columns aligned (every boxed line has the same width)", () => {
  const text = renderResultsTable(document("日本語の追加タスク"), { width: 200 });
  const boxed = lines(text).filter((l) => /^[┌│├└]/.test(l));
  assert.ok(boxed.length > 10, text);
  const widths = new Set(boxed.map((l) => stringWidth(l)));
  assert.equal(widths.size, 1, `line widths differ: ${[...widths].join(", ")}`);
  // The same in the borderless layout: the "n" column of the Japanese row lines up with the others.
  const narrow = renderResultsTable(document("日本語の追加タスク"), { width: 120 });
  const rule = lines(narrow).find((l) => l.startsWith("─"))!;
  const ja = lines(narrow).find((l) => l.startsWith("日本語"))!;
  assert.equal(stringWidth(ja), stringWidth(rule), `${ja}\n${rule}`);
});

test("colour codes only when asked for, and the table still fits with them", () => {
  const doc = document();
  const plain = renderResultsTable(doc, { width: 120, colours: coloursFor({ isTTY: true }, { NO_COLOR: "1" }) });
  assert.doesNotMatch(plain, /\u001b\[/);
  const coloured = renderResultsTable(doc, { width: 120, colours: coloursFor({ isTTY: false }, { FORCE_COLOR: "1" }) });
  assert.match(coloured, /\u001b\[33m\*/); // the partial-data mark in yellow
  for (const line of lines(coloured)) assert.ok(stringWidth(line) <= 120, line);
});
