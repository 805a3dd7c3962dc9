// xWinograd in the report's explorer: the gold sentence carries the ★ the legend promises. Its
// dataset counts the answer from 1 ("1"/"2"); the explorer's ★ needs the index of the gold
// request. Through the CLI: `run` on four real docs with stories260K, then `report`, rendered.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { goldChoice } from "../src/report/explorer/data.js";
import { chromium, dumpDom, NO_CHROMIUM } from "./support/chromium.js";

const root = process.cwd();
const model = path.resolve(root, "../shared/models/stories260K.gguf");
const dataDir = path.resolve(root, "../shared/datasets");
const xwinograd = path.join(dataDir, "xwinograd/jp_test_stability_format.jsonl");
const skip = (!existsSync(model) || !existsSync(xwinograd)) && "../shared/models/stories260K.gguf or ../shared/datasets absent";
const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-xwino-report-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function cli(args: string[]): string {
  const r = spawnSync(process.execPath, ["bin/run.js", ...args], { cwd: root, encoding: "utf8" });
  assert.equal(r.status, 0, `${args[0]}: ${r.stderr}`);
  return r.stdout;
}

test("the explorer stars xWinograd's gold sentence (run, then report, in Chromium)", { skip: skip || (chromium === null && NO_CHROMIUM), timeout: 120_000 }, () => {
  const runs = path.join(scratch, "runs");
  cli(["run", "--tasks", "xwinograd_ja", "--limit", "4", "--model", model, "--data-dir", dataDir, "--output", runs, "--no-cache", "--threads", "1"]);
  const out = path.join(scratch, "report");
  cli(["report", path.join(runs, "stories260K"), "--output", out, "--published", "none", "--quiet"]);
  // The first four docs of the shuffled split (Random(42): 184, 434, 857, 723; see the reference
  // spec's test vectors), their sentences and gold answers read from the dataset itself.
  const rows = readFileSync(xwinograd, "utf8")
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l) as { sentence1: string; sentence2: string; answer: string });
  const dom = dumpDom(path.join(out, "report.html"));
  const cards = [...dom.matchAll(/<article class="doc"><header><strong>doc (\d+)<\/strong>([\s\S]*?)<\/article>/g)];
  assert.deepEqual(
    cards.map((c) => Number(c[1])),
    [184, 434, 723, 857],
  );
  for (const [, id, card] of cards) {
    const doc = rows[Number(id)]!;
    const gold = doc.answer === "1" ? doc.sentence1 : doc.sentence2;
    const other = doc.answer === "1" ? doc.sentence2 : doc.sentence1;
    const starred = [...card!.matchAll(/<td class="text">★ ([^<]*)<\/td>/g)].map((m) => m[1]);
    assert.deepEqual(starred, [gold], `doc ${id}: the ★ should be on the answer-${doc.answer} sentence`);
    assert.ok(card!.includes(`<td class="text">${other}</td>`), `doc ${id}: the other sentence is listed without ★`);
  }
});

test("samples files written before the fix (gold = the dataset's 1-based answer): the gold text decides", () => {
  const choices = ["A は B だ。", "C は D だ。"];
  // Old xWinograd lines: answer 1 recorded as gold 1 (the second choice), answer 2 as gold 2 (none).
  assert.equal(goldChoice({ choices, goldIndex: 1, goldText: choices[0]! }), 0);
  assert.equal(goldChoice({ choices, goldIndex: 2, goldText: choices[1]! }), 1);
  // The index stands where the text agrees with it, matches no choice exactly (English
  // continuations start with a space), or matches several.
  assert.equal(goldChoice({ choices: ["同じ", "同じ"], goldIndex: 1, goldText: "同じ" }), 1);
  assert.equal(goldChoice({ choices: [" red", " blue"], goldIndex: 1, goldText: "blue" }), 1);
  assert.equal(goldChoice({ choices: ["同じ", "同じ", "別"], goldIndex: 2, goldText: "同じ" }), 2);
  assert.equal(goldChoice({ choices, goldIndex: null, goldText: null }), -1);
});
