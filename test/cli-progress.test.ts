// Live progress: the bar redrawn in place on a terminal (captured through a pseudo-terminal with
// util-linux `script`), plain lines every --progress-interval seconds with CI=true, nothing with
// --quiet, a clean stdout with --json, and the final summary naming every file written.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import stringWidth from "string-width";
import { barProgressLine, createProgressDisplay, PhaseTracker, plainProgressLine, progressMode } from "../src/terminal/progress.js";
import { skipLines } from "../src/run/runStart.js";
import type { SkippedTask } from "../src/evaluation/taskPlan.js";
import { runResultsFile, runSamplesFile } from "./support/runFiles.js";
import { sharedSkip } from "./support/sharedData.js";

const root = process.cwd();
const model = path.resolve(root, "../shared/models/stories260K.gguf");
const dataDir = path.resolve(root, "../shared/datasets");
const skipData = sharedSkip(model, path.join(dataDir, "xwinograd"));
const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-progress-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** The environment without the variables that choose the display, so that each test sets its own. */
function baseEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env = { ...process.env };
  for (const k of ["CI", "NO_COLOR", "FORCE_COLOR", "COLUMNS", "TERM"]) delete env[k];
  return { ...env, TERM: "xterm", ...extra };
}

const runArgs = (output: string, ...more: string[]) => ["run", "--tasks", "xwinograd_ja", "--limit", "5", "--model", model, "--data-dir", dataDir, "--output", output, "--threads", "1", ...more];

test("progressMode: a bar on a terminal, plain lines in a pipe or with CI set, nothing with --quiet", () => {
  assert.equal(progressMode({ isTTY: true }, {}, false), "bar");
  assert.equal(progressMode({ isTTY: false }, {}, false), "lines");
  assert.equal(progressMode({ isTTY: true }, { CI: "true" }, false), "lines");
  assert.equal(progressMode({ isTTY: true }, { CI: "false" }, false), "bar");
  assert.equal(progressMode({ isTTY: true }, { TERM: "dumb" }, false), "lines");
  assert.equal(progressMode({ isTTY: true }, {}, true), "off");
});

test("rate and ETA come from the requests computed since the phase's first report, not its cache hits", () => {
  // 100 of 1000 answered by the cache at t = 0; 100 more computed in 10 s: 800 left at 10 per s.
  const tracker = new PhaseTracker({ phase: "loglikelihood", done: 100, total: 1000, task: "jnli-1.1-0.3", tokensEvaluated: 0 }, 0);
  tracker.update({ phase: "loglikelihood", done: 200, total: 1000, tokensEvaluated: 5000 }, 10_000);
  const view = tracker.view(10_000);
  assert.equal(view.etaSeconds, 80);
  assert.equal(view.tokensPerSecond, 500);
  assert.equal(view.task, "jnli-1.1-0.3"); // kept from the last report that named it
  assert.equal(plainProgressLine(view), "progress: loglikelihood 200/1000 (20%) · task jnli-1.1-0.3 · 500 tok/s · elapsed 10s · ETA 1m20s");
  for (const width of [50, 80, 100, 200]) {
    const line = barProgressLine(view, width);
    assert.ok(stringWidth(line) <= width, `${line} (${stringWidth(line)} > ${width})`);
    assert.match(line, /ETA 1m20s$/);
  }
  assert.match(barProgressLine(view, 100), /^loglikelihood jnli-1\.1-0\.3 █+░+ 200\/1000 20% · 500 tok\/s · 10s elapsed · ETA 1m20s$/);
  // Narrower, the fields stay and the bar goes first.
  assert.equal(barProgressLine(view, 80), "loglikelihood jnli-1.1-0.3 200/1000 20% · 500 tok/s · 10s elapsed · ETA 1m20s");
});

test("a finished phase freezes: its elapsed time and rate stay as they were at its end while the clock runs on", () => {
  // 0 → 100 of 100 requests and 10,000 tokens in 4 s: 2,500 tok/s, 4 s elapsed.
  const tracker = new PhaseTracker({ phase: "loglikelihood", done: 0, total: 100, task: "jcommonsenseqa-1.1-0.3", tokensEvaluated: 0 }, 0);
  tracker.update({ phase: "loglikelihood", done: 100, total: 100, tokensEvaluated: 10_000 }, 4_000);
  for (const later of [4_000, 60_000, 238_000]) {
    const view = tracker.view(later);
    assert.equal(view.elapsedSeconds, 4, `elapsed at t=${later}`);
    assert.equal(view.tokensPerSecond, 2_500, `rate at t=${later}`);
    assert.equal(view.etaSeconds, 0);
  }
  assert.equal(plainProgressLine(tracker.view(238_000)), "progress: loglikelihood 100/100 (100%) · task jcommonsenseqa-1.1-0.3 · 2,500 tok/s · elapsed 4s · ETA 0s");
});

test("the whole run's ETA: at least this phase's, naming the phases still to come; in the last phase, the phase's ETA is the run's", () => {
  const upcoming = [{ phase: "generate" as const, requests: 20 }];
  // 30 of 140 in 10 s: 110 left at 3 per s ≈ 36.7 s → 37s.
  const tracker = new PhaseTracker({ phase: "loglikelihood", done: 0, total: 140, task: "jcommonsenseqa-1.1-0.3", tokensEvaluated: 0, upcoming }, 0);
  // No rate yet, so no bound: only the phases to come.
  assert.match(plainProgressLine(tracker.view(0)), / · ETA – \(then generate: 20 requests\)$/);
  tracker.update({ phase: "loglikelihood", done: 30, total: 140, tokensEvaluated: 5_000, upcoming }, 10_000);
  const view = tracker.view(10_000);
  assert.deepEqual(view.untimed, ["generate: 20 requests"]);
  assert.equal(plainProgressLine(view), "progress: loglikelihood 30/140 (21%) · task jcommonsenseqa-1.1-0.3 · 500 tok/s · elapsed 10s · ETA 37s (run ≥ 37s + generate: 20 requests)");
  for (const width of [80, 120, 200]) {
    const line = barProgressLine(view, width);
    assert.ok(stringWidth(line) <= width, `${line} (${stringWidth(line)} > ${width})`);
    // The run's ETA survives at 80 columns (the elapsed time and rate give way first).
    assert.ok(line.endsWith("ETA 37s (run ≥ 37s + generate: 20 requests)"), line);
  }
  // Once the phase ends, nothing of it says "still to come".
  tracker.update({ phase: "loglikelihood", done: 140, total: 140, tokensEvaluated: 20_000, upcoming }, 40_000);
  assert.deepEqual(tracker.view(50_000).untimed, []);
  // The last phase: no run ETA beside its own.
  const gen = new PhaseTracker({ phase: "generate", done: 0, total: 20, task: "jsquad-1.1-0.3" }, 0);
  gen.update({ phase: "generate", done: 5, total: 20 }, 10_000);
  assert.match(plainProgressLine(gen.view(10_000)), / · ETA 30s$/);
});

test("plain lines come every interval while a phase runs, one more when it ends, none after stop", async () => {
  let written = "";
  const stream = { write: (s: string) => ((written += s), true), isTTY: false } as unknown as NodeJS.WriteStream;
  const display = createProgressDisplay({ stream, mode: "lines", intervalSeconds: 0.02 });
  display.update({ phase: "loglikelihood", done: 1, total: 10, task: "xwinograd_ja" });
  await new Promise((r) => setTimeout(r, 150));
  const periodic = written.split("\n").filter((l) => l.startsWith("progress: loglikelihood 1/10 (10%) · task xwinograd_ja"));
  assert.ok(periodic.length >= 2, written);
  display.update({ phase: "loglikelihood", done: 10, total: 10 });
  assert.match(written, /progress: loglikelihood 10\/10 \(100%\) · task xwinograd_ja · .* · ETA 0s\n$/);
  display.stop();
  const before = written;
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(written, before);
});

test("skip lines: the missing file relative to the working directory, each source URL once", () => {
  const cwd = path.resolve(tmpdir(), "project");
  const source = { name: "yahoojapan/JGLUE", url: "https://github.com/yahoojapan/JGLUE/tree/v1.1.0/datasets" };
  const file = (f: string) => path.resolve(tmpdir(), "shared/datasets", f);
  const skipped = ["jnli/train-v1.1.json", "jcommonsenseqa/train-v1.1.json"].map((f, i) => ({
    task: { name: ["jnli-1.1-0.3", "jcommonsenseqa-1.1-0.3"][i] },
    shots: 3,
    file: file(f),
    source,
    reason: `split missing: expected ${file(f)} (${source.name}, ${source.url}). Put the file there.`,
  })) as unknown as SkippedTask[];
  const lines = skipLines(skipped, cwd);
  assert.deepEqual(lines, [
    `skip jnli-1.1-0.3: split missing: expected ${path.join("..", "shared", "datasets", "jnli", "train-v1.1.json")} (yahoojapan/JGLUE, ${source.url}). Put the file there.`,
    `skip jcommonsenseqa-1.1-0.3: split missing: expected ${path.join("..", "shared", "datasets", "jcommonsenseqa", "train-v1.1.json")} (yahoojapan/JGLUE, source above). Put the file there.`,
  ]);
});

/**
 * The summary lists a written file relative to the working directory, or absolute when that
 * would climb three folders or more (the temp folder seen from a deep checkout, as in CI).
 */
function listsFile(output: string, file: string): boolean {
  const relative = path.relative(root, file);
  const shown = relative.split(path.sep).slice(0, 3).every((part) => part === "..") ? file : relative;
  return output.includes(`  ${shown}\n`) || output.includes(`  ${shown}\r\n`);
}

const script = "/usr/bin/script";
test("on a terminal: a live bar redrawn in place with the task and an ETA, then the summary", { skip: skipData || (!existsSync(script) && "util-linux script absent"), timeout: 180_000 }, () => {
  const out = path.join(scratch, "tty");
  const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
  // A pseudo-terminal of 120 columns, as a terminal window would have.
  const command = "stty cols 120 && " + [process.execPath, "bin/run.js", ...runArgs(out, "--no-cache")].map(quote).join(" ");
  const r = spawnSync(script, ["-qfec", command, "/dev/null"], { cwd: root, encoding: "utf8", env: baseEnv({}), stdio: ["ignore", "pipe", "pipe"], timeout: 170_000 });
  assert.equal(r.status, 0, r.stdout + r.stderr);
  const output = r.stdout;
  // Each redraw returns to column 1 (CSI 1G, or a carriage return) and writes the bar line again.
  const redraws = output.split(/\u001b\[1G|\r(?!\n)/).filter((part) => part.startsWith("loglikelihood xwinograd_ja "));
  assert.ok(redraws.length >= 2, `expected at least two redraws of the bar:\n${JSON.stringify(output.slice(0, 2000))}`);
  assert.ok(redraws.some((p) => /^loglikelihood xwinograd_ja █*░* \d+\/10 \d+% · (\d[\d,]*|–) tok\/s · \d+s elapsed · ETA (\d+s|\d+m\d\ds|–)/.test(p)), JSON.stringify(redraws.slice(0, 3)));
  assert.match(output, /10\/10 100%/);
  assert.match(output, /done in \S+: 10 requests computed, 0 from the cache; [\d,]+ tokens evaluated/);
  // lm-eval's layout: <out>/<model>/results_<date>.json and samples_<task>_<date>.jsonl.
  assert.ok(listsFile(output, runResultsFile(out)), output);
  assert.ok(listsFile(output, runSamplesFile(out, "xwinograd_ja")), output);
});

test("with CI=true: plain progress lines every --progress-interval, --json keeps stdout to the JSON; --quiet prints none", { skip: skipData, timeout: 180_000 }, () => {
  const out = path.join(scratch, "ci");
  const cache = path.join(scratch, "cache");
  const r = spawnSync(process.execPath, ["bin/run.js", ...runArgs(out, "--cache-dir", cache, "--json", "--progress-interval", "0.05")], { cwd: root, encoding: "utf8", env: baseEnv({ CI: "true" }), timeout: 170_000 });
  assert.equal(r.status, 0, r.stderr);
  const doc = JSON.parse(r.stdout) as { results: Record<string, unknown> };
  assert.ok(doc.results["xwinograd_ja"]);
  assert.doesNotMatch(r.stderr, /\u001b\[/);
  const lines = r.stderr.split("\n").filter((l) => l.startsWith("progress: "));
  assert.ok(lines.length >= 2, r.stderr);
  for (const l of lines) assert.match(l, /^progress: loglikelihood \d+\/10 \(\d+%\) · task (xwinograd_ja|–) · (\d[\d,]*|–) tok\/s · elapsed \S+ · ETA \S+$/);
  assert.match(lines.at(-1)!, /10\/10 \(100%\) · task xwinograd_ja .* ETA 0s$/);
  assert.match(r.stderr, /done in \S+: 10 requests computed, 0 from the cache/);
  assert.ok(listsFile(r.stderr, runSamplesFile(out, "xwinograd_ja")), r.stderr);

  const quiet = spawnSync(process.execPath, ["bin/run.js", ...runArgs(path.join(scratch, "quiet"), "--cache-dir", cache, "--quiet")], { cwd: root, encoding: "utf8", env: baseEnv({ CI: "true" }), timeout: 170_000 });
  assert.equal(quiet.status, 0, quiet.stderr);
  assert.equal(quiet.stderr, "");
  assert.match(quiet.stdout, /xwinograd_ja/);
});
