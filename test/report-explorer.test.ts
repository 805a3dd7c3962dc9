// The report's per-document explorer: what it shows of each doc and run, its filters, and that a
// full suite's worth of docs (about 30,000) makes a page that stays under 50 MB and renders its
// first page in Chromium in under 3 s.
import { test } from "node:test";
import assert from "node:assert/strict";
import { rmSync, statSync } from "node:fs";
import path from "node:path";
import { writeReport } from "../src/report/write.js";
import { buildExplorerData } from "../src/report/explorer/data.js";
import { runScores } from "../src/results/read.js";
import { tempDir, writeRun } from "./support/compareFixtures.js";
import { chromium, dumpDom, NO_CHROMIUM } from "./support/chromium.js";
import { writeSyntheticSuite } from "./support/syntheticSamples.js";
import { sharedSkip } from "./support/sharedData.js";

const SHOTS = "Q: 一足す一は？\nA: 二\n\nQ: 空の色は？\nA: 青\n\n";
const CHOICES = ["赤", "青", "緑"];

/**
 * Three runs of one task, four docs, gold "青" (1) everywhere, each run's pick by hand:
 * doc 0: 1 1 1 (all right) · doc 1: 0 0 2 (all wrong, disagree, run 2 changed)
 * doc 2: 1 1 0 (disagree, run 2 changed) · doc 3: 2 2 2 (all wrong, all agree).
 */
function threeRuns(): string[] {
  const root = tempDir("explorer");
  const picks = [
    [1, 0, 1, 2],
    [1, 0, 1, 2],
    [1, 2, 0, 2],
  ];
  return picks.map((runPicks, r) =>
    writeRun(path.join(root, `r${r}`), {
      modelPath: `/models/m${r}.gguf`,
      label: `m${r}`,
      tasks: [
        {
          key: "jcommonsenseqa",
          task: "jcommonsenseqa-1.1-0.3",
          metric: "acc",
          score: 0,
          n: 4,
          samples: runPicks.map((p) => (p === 1 ? 1 : 0)),
          choices: runPicks.map((p, d) => ({
            context: `${SHOTS}Q: 問題 ${d}\nA:`,
            continuations: CHOICES,
            logprobs: CHOICES.map((_, c) => (c === p ? -1.25 : -7.5 - c)),
          })),
          describe: runPicks.map(() => ({ gold: 1, target: "青", choices: CHOICES })),
        },
      ],
    }),
  );
}

test("explorer data: each doc's prompt, choices, gold, every run's pick and log-likelihoods, and the filters", () => {
  const data = buildExplorerData(threeRuns().map((d) => runScores(d)));
  assert.deepEqual(data.runs, ["m0", "m1", "m2"]);
  assert.equal(data.tasks.length, 1);
  const task = data.tasks[0]!;
  assert.equal(task.name, "jcommonsenseqa-1.1-0.3");
  assert.equal(task.metric, "acc");
  assert.equal(task.kind, "mc");
  const text = (i: number) => task.s[i]!;
  const [docId, prompt, choices, goldIndex, goldText, flags, answers] = task.docs[1]!;
  assert.equal(docId, 1);
  assert.equal(prompt.map(text).join(""), `${SHOTS}Q: 問題 1\nA:`);
  assert.deepEqual(choices.map(text), CHOICES);
  assert.equal(goldIndex, 1);
  assert.equal(text(goldText), "青");
  // [metric value, picked choice, log-likelihood of each choice]
  assert.deepEqual(answers, [
    [0, 0, -1.25, -8.5, -9.5],
    [0, 0, -1.25, -8.5, -9.5],
    [0, 2, -7.5, -8.5, -1.25],
  ]);
  // Filter bits: 1 runs disagree, 2 all wrong, 4 changed since the baseline (the first run).
  assert.deepEqual(
    task.docs.map((d) => d[5]),
    [0, 1 | 2 | 4, 1 | 4, 2],
  );
  assert.equal(flags, 7);
  // The two few-shot paragraphs are stored once for the four docs of three runs.
  assert.equal(task.s.filter((s) => s === "Q: 一足す一は？\nA: 二\n\n").length, 1);
  assert.equal(task.docs.filter((d) => d[1][0] === task.docs[0]![1][0]).length, 4);
});

test("report.html embeds the explorer; the page has no absolute paths", () => {
  const dirs = threeRuns();
  const out = writeReport({ results: dirs, published: [], outputDir: tempDir("explorer-out"), generated: "2024-03-25T12:00:00Z" });
  assert.match(out.html, /<script type="application\/json" id="explorer-index">/);
  assert.match(out.html, /<script type="application\/json" id="explorer-task-0">/);
  for (const doc of [out.html, out.markdown]) {
    assert.doesNotMatch(doc, /\/models\//);
    for (const d of dirs) assert.ok(!doc.includes(path.dirname(d)), "an absolute run folder is on the page");
    assert.match(doc, /m0\.gguf/);
    assert.match(doc, /r0\/results\.json/);
  }
});

test("Chromium: the explorer renders a page of docs, and its filters and search pick the right ones", { skip: chromium === null && NO_CHROMIUM }, () => {
  const out = writeReport({ results: threeRuns(), published: [], outputDir: tempDir("explorer-dom"), generated: "2024-03-25T12:00:00Z" });
  const shown = (hash: string) => {
    const dom = dumpDom(`${out.htmlPath}${hash}`);
    const ids = [...dom.matchAll(/<article class="doc"><header><strong>doc (\d+)<\/strong>/g)].map((m) => Number(m[1]));
    return { dom, ids };
  };
  const all = shown("");
  assert.deepEqual(all.ids, [0, 1, 2, 3]);
  assert.match(all.dom, /data-explorer-ready-ms="\d+"/);
  // Doc 1: m2 picked 緑 (-1.25), the others 赤; the gold row is starred.
  assert.match(all.dom, /<td class="text">★ 青<\/td>/);
  assert.match(all.dom, /<td class="pick">▶ -1\.25<\/td>/);
  assert.deepEqual(shown("#filter=all-wrong").ids, [1, 3]);
  assert.deepEqual(shown("#filter=changed").ids, [1, 2]);
  assert.deepEqual(shown("#filter=disagree&q=%E5%95%8F%E9%A1%8C%202").ids, [2]);
});

const root = process.cwd();
const dataDir = path.resolve(root, "../shared/datasets");
const noData = sharedSkip(dataDir);

test(
  "a full suite's docs (about 30,000, three runs): report.html stays under 50 MB and shows its first page in under 3 s",
  { skip: noData || (chromium === null && NO_CHROMIUM), timeout: 180_000 },
  async (t) => {
    const runsRoot = tempDir("explorer-large");
    const outDir = tempDir("explorer-large-out");
    // Tens of MB of samples per run, as a full-suite run writes: removed afterwards.
    t.after(() => {
      rmSync(runsRoot, { recursive: true, force: true });
      rmSync(outDir, { recursive: true, force: true });
    });
    // Real prompts of every kind, in about the proportions of a full run (JSQuAD and MMLU the
    // most docs): Japanese few-shot (JCommonsenseQA, JSQuAD, MGSM), 0-shot sentence pairs
    // (xWinograd), 25-shot ARC, TruthfulQA's long choice lists, MMLU subjects short and long.
    const suite = await writeSyntheticSuite(
      runsRoot,
      dataDir,
      {
        "jcommonsenseqa-1.1-0.3": 150,
        "jsquad-1.1-0.3": 350,
        xwinograd_ja: 100,
        "mgsm-1.0-0.3": 50,
        arc_challenge: 100,
        truthfulqa_mc: 80,
        "hendrycksTest-high_school_psychology": 300,
        "hendrycksTest-miscellaneous": 300,
        "hendrycksTest-professional_law": 100,
        "hendrycksTest-high_school_european_history": 30,
        "hendrycksTest-anatomy": 100,
      },
      3,
      30_000,
    );
    assert.ok(suite.docs >= 28_000, `${suite.docs} docs`);
    const out = writeReport({ results: suite.dirs, published: [], outputDir: outDir, generated: "2024-03-25T12:00:00Z" });
    const bytes = statSync(out.htmlPath).size;
    const dom = dumpDom(out.htmlPath);
    const ready = Number(/data-explorer-ready-ms="(\d+)"/.exec(dom)?.[1] ?? NaN);
    const loaded = Number(/data-explorer-loaded-ms="(\d+)"/.exec(dom)?.[1] ?? NaN);
    t.diagnostic(
      `${suite.docs} docs of ${suite.tasks} tasks, 3 runs: report.html ${(bytes / 1e6).toFixed(1)} MB; first page of docs rendered ${ready} ms after navigation, whole file read (DOMContentLoaded) at ${loaded} ms`,
    );
    assert.ok(bytes < 50e6, `report.html is ${bytes} bytes`);
    assert.ok(ready < 3000, `first page after ${ready} ms`);
    assert.equal([...dom.matchAll(/<article class="doc">/g)].length, 20);
    // The first task, JCommonsenseQA: 150 real docs and their copies.
    assert.match(dom, new RegExp(`docs 1–20 of ${150 * suite.copies} `));
  },
);
