// End to end through the built CLI (`npm test` builds first): exit codes 0, 1 and 2.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { bits, tempDir, writeRun } from "./support/compareFixtures.js";

const bin = path.resolve(process.cwd(), "bin/run.js");
const built = existsSync(path.resolve(process.cwd(), "dist/src/commands/compare.js"));

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** JNLI, n = 100: the baseline right on docs 0..59, the new run on 0..39 (20 lost, p = 2^-19). */
function runs(): { base: string; next: string; root: string } {
  const root = tempDir("cli");
  const jnli = (ones: number) => ({ key: "jnli", task: "jnli-1.1-0.3", metric: "acc", score: ones, n: 100, samples: bits(100, ones) });
  return {
    root,
    base: writeRun(path.join(root, "base"), { modelPath: "/m/base.gguf", tasks: [jnli(60)] }),
    next: writeRun(path.join(root, "new"), { modelPath: "/m/new.gguf", tasks: [jnli(40)] }),
  };
}

/** The same, without waiting: several bad-input cases run side by side. */
function cliAsync(...args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

const skip = !built && "dist/src/commands/compare.js missing: run `npm run build` first";

test("compare exits 1 on a significant drop above --max-drop, 0 when a per-task override allows it", { skip }, () => {
  const { base, next } = runs();
  const fail = cli("compare", next, "--baseline", base, "--max-drop", "1");
  assert.equal(fail.status, 1, fail.stderr);
  assert.match(fail.stdout, /jnli-1\.1-0\.3/);
  assert.match(fail.stdout, /Gate FAILED/);
  const pass = cli("compare", next, "--baseline", base, "--max-drop", "1", "--max-drop-task", "jnli-1.1-0.3=25");
  assert.equal(pass.status, 0, pass.stderr);
  assert.match(pass.stdout, /Gate passed/);
});

test("compare --json", { skip }, () => {
  const { base, next } = runs();
  const j = cli("compare", path.join(next, "results.json"), "--baseline", base, "--json", "--max-drop", "30");
  assert.equal(j.status, 0, j.stderr);
  const doc = JSON.parse(j.stdout) as { failed: boolean; rows: { key: string; diff: number; pValue: number; test: string; newScore: number; baselineScore: number }[] };
  assert.equal(doc.failed, false);
  const row = doc.rows.find((r) => r.key === "jnli")!;
  assert.equal(row.test, "mcnemar-exact");
  assert.equal(row.newScore, 40);
  assert.equal(row.baselineScore, 60);
  assert.equal(row.diff, -20);
  assert.ok(Math.abs(row.pValue - 2 / 2 ** 20) < 1e-15);
});

test("compare against published:rakutenai-7b shows the paper's figure", { skip }, () => {
  const { next } = runs();
  const r = cli("compare", next, "--baseline", "published:rakutenai-7b", "--json");
  assert.equal(r.status, 0, r.stderr); // 40/100 vs 48.69: -8.69 points, p = 0.09 unpaired (not significant)
  const doc = JSON.parse(r.stdout) as { rows: { key: string; baselineScore: number; paired: boolean }[] };
  const row = doc.rows.find((x) => x.key === "jnli")!;
  assert.equal(row.baselineScore, 48.69);
  assert.equal(row.paired, false);
});

test("compare exits 2 on bad input, with one error line", { skip }, async () => {
  const { base, next, root } = runs();
  const invalid = path.join(root, "invalid");
  writeRun(invalid, { tasks: [] });
  writeFileSync(path.join(invalid, "results.json"), JSON.stringify({ results: {} }));
  const cases: string[][] = [
    ["compare", path.join(root, "nope"), "--baseline", base],
    ["compare", next, "--baseline", base, "--max-drop", "abc"],
    ["compare", invalid, "--baseline", base],
  ];
  const results = await Promise.all(cases.map((args) => cliAsync(...args)));
  results.forEach((r, i) => {
    const args = cases[i]!.join(" ");
    assert.equal(r.status, 2, `${args}: status ${r.status}\n${r.stderr}`);
    assert.match(r.stderr, /^error: /m, args);
    assert.doesNotMatch(r.stderr, /\n\s+at /, `stack trace for ${args}`);
  });
});

test("report writes report.md and report.html", { skip }, () => {
  const { base, next, root } = runs();
  const out = path.join(root, "report");
  const r = cli("report", base, next, "--output", out, "--published", "rakutenai-7b");
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^\| rakuten-ai-7b \(paper\) \| as paper \| 84\.27 \| 48\.69 \|/m);
  assert.match(readFileSync(path.join(out, "report.html"), "utf8"), /<svg [^>]*id="chart-ja"/);
  assert.equal(cli("report", "--output", out).status, 2);
});

test("a task absent from the new run fails the gate (exit 1) naming it and the run's reason; --allow-missing passes it (exit 0)", { skip }, () => {
  const root = tempDir("cli-absent");
  const jnli = { key: "jnli", task: "jnli-1.1-0.3", metric: "acc", score: 50, n: 20, samples: bits(20, 10) };
  const jcs = { key: "jcommonsenseqa", task: "jcommonsenseqa-1.1-0.3", metric: "acc", score: 50, n: 20, samples: bits(20, 10) };
  const base = writeRun(path.join(root, "base"), { modelPath: "/m/base.gguf", tasks: [jnli, jcs] });
  const next = writeRun(path.join(root, "new"), { modelPath: "/m/new.gguf", tasks: [jnli], skipped: [{ task: "jcommonsenseqa-1.1-0.3", reason: "its data is missing" }] });
  const fail = cli("compare", next, "--baseline", base);
  assert.equal(fail.status, 1, fail.stderr);
  // The prose is word-wrapped to the terminal's width: read it as one line.
  assert.match(fail.stdout.replace(/\n(?!│|┌|└|├)/g, " "), /Gate FAILED: 1 absent from the new run: jcommonsenseqa-1\.1-0\.3 \(skipped: its data is missing\); to gate without it, pass --allow-missing jcommonsenseqa-1\.1-0\.3\. /);
  const pass = cli("compare", next, "--baseline", base, "--allow-missing", "jcs");
  assert.equal(pass.status, 0, pass.stderr);
  assert.match(pass.stdout, /Gate passed/);
});

test("a comparison that tested nothing exits 2 with one line saying why", { skip }, () => {
  const root = tempDir("cli-nothing");
  const subset = writeRun(path.join(root, "subset"), {
    tasks: [{ key: "mmlu_subset", task: "mmlu (2 subjects)", metric: "acc", score: 62.5, n: 6 }],
    mmluSubjects: { "hendrycksTest-a": [1, 0, 1, 1], "hendrycksTest-b": [0, 1] },
  });
  const r = cli("compare", subset, "--baseline", "published:rakutenai-7b");
  assert.equal(r.status, 2, r.stdout);
  assert.equal(r.stdout, "");
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^error: nothing comparable: no row could be tested \(mmlu \(2 subjects\): not in the baseline/);
});
