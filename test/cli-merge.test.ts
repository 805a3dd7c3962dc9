// `run --shard` and `merge` through ./bin/run.js: a bad --shard is one line (exit 2); merge refuses
// a missing shard, a shard given twice, shards of different shard counts, models, shots or
// --limit, a folder that is not a shard and an output folder that is a shard's (its --output
// folder or its model folder), one line per problem (exit 2), writing nothing; a shard may be
// given as its --output folder, its model folder or its results file; compare refuses a shard
// and report marks it. Files are found as lm-eval v0.4 lays them out (test/support/runFiles.ts).
import { test, after, before } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readRunDoc, runResultsFile, runSamplesFile } from "./support/runFiles.js";
import { sharedSkip } from "./support/sharedData.js";

const root = process.cwd();
const model = path.resolve(root, "../shared/models/stories260K.gguf");
const otherModel = path.resolve(root, "../shared/models/llama-2-tiny-random.gguf");
const dataDir = path.resolve(root, "../shared/datasets");
const skip = sharedSkip(model, otherModel, dataDir);
const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-cli-merge-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(root, "bin/run.js"), ...args], { cwd: root, encoding: "utf8" });
const errorLines = (stderr: string) => stderr.split("\n").filter((l) => l.trim() !== "");

const dir = (name: string) => path.join(scratch, name);

/** The run every shard is of; `change` overrides a flag's value (another --shots, --limit). */
function args(change: Record<string, string> = {}): string[] {
  const flags: Record<string, string> = { "--tasks": "jcs,hendrycksTest-anatomy", "--shots": "3,5", "--limit": "3", ...change };
  return Object.entries(flags).flat();
}

function shard(name: string, spec: string, change: Record<string, string> = {}, m = model): void {
  const r = cli("run", ...args(change), "--model", m, "--data-dir", dataDir, "--no-cache", "--shard", spec, "--output", dir(name), "-q");
  assert.equal(r.status, 0, r.stderr);
}

test("run --shard: not i/N with 1 ≤ i ≤ N is one line, exit 2, before any work", () => {
  for (const bad of ["0/3", "4/3", "3", "a/b", "1/0", "-1/2", "1.5/3"]) {
    const r = cli("run", "--tasks", "jcs", "--model", model, "--data-dir", dataDir, "--shard", bad, "--output", dir("never"));
    assert.equal(r.status, 2, `${bad}: ${r.stderr}`);
    assert.deepEqual(errorLines(r.stderr), [
      `error: --shard ${JSON.stringify(bad)} must be i/N with 1 ≤ i ≤ N (1-based: --shard 1/8 … --shard 8/8; from a 0-based Kubernetes JOB_COMPLETION_INDEX pass $((JOB_COMPLETION_INDEX + 1))/N).`,
    ]);
  }
  // `run` makes its output folder while checking it is writable; no file may be written there.
  const written = existsSync(dir("never")) ? readdirSync(dir("never"), { recursive: true, withFileTypes: true }).filter((e) => !e.isDirectory()) : [];
  assert.deepEqual(written.map((e) => e.name), [], "nothing written");
});

test("merge without folders or --output is refused", () => {
  const none = cli("merge", "--output", dir("m0"));
  assert.equal(none.status, 2);
  assert.match(none.stderr, /^error: Give the shard folders to merge/);
  const noOut = cli("merge", dir("a"));
  assert.equal(noOut.status, 2);
  assert.match(noOut.stderr, /Missing required flag output/);
});

test("merge refuses what is not one run's shards 1..N, one line each, exit 2", { skip, timeout: 900_000 }, async (t) => {
  await t.test("set up", () => {
    for (let i = 1; i <= 3; i++) shard(`s${i}`, `${i}/3`);
    shard("half1", "1/2");
    shard("other-model", "3/3", {}, otherModel);
    shard("other-shots", "3/3", { "--shots": "2,5" });
    shard("other-limit", "3/3", { "--limit": "4" });
    const r = cli("run", ...args(), "--model", model, "--data-dir", dataDir, "--no-cache", "--output", dir("whole"), "-q");
    assert.equal(r.status, 0, r.stderr);
    cpSync(dir("s2"), dir("s2-copy"), { recursive: true });
  });
  const refused = (args: string[], expected: RegExp[]) => {
    const out = dir(`out-${Math.random().toString(36).slice(2)}`);
    const r = cli("merge", ...args, "--output", out);
    assert.equal(r.status, 2, r.stderr);
    const lines = errorLines(r.stderr);
    assert.equal(lines.length, expected.length, r.stderr);
    expected.forEach((re, i) => assert.match(lines[i]!, re));
    assert.equal(existsSync(out), false, "nothing written");
  };
  await t.test("a missing shard", () => refused([dir("s1"), dir("s2")], [/^error: shard 3\/3 is missing; add the --output folder of `run --shard 3\/3`/]));
  await t.test("a shard given twice (an overlapping copy)", () => refused([dir("s1"), dir("s2"), dir("s3"), dir("s2-copy")], [/^error: shard 2\/3 is given 2 times \(.*s2, .*s2-copy\)/]));
  await t.test("shards of different counts", () => refused([dir("half1"), dir("s2"), dir("s3")], [/^error: shards disagree on the shard count: .*half1 is shard 1\/2, .*s2 is shard 2\/3/]));
  await t.test("shards of different models", () => refused([dir("s1"), dir("s2"), dir("other-model")], [/^error: shards disagree on model sha256: .*s1 has "270cba1b.*", .*other-model has "81f226c6/]));
  await t.test("shards of different shots", () => refused([dir("s1"), dir("s2"), dir("other-shots")], [/^error: shards disagree on jcommonsenseqa-1\.1-0\.3 shots: .*"shots":3.*other-shots has .*"shots":2/]));
  await t.test("shards of different --limit", () =>
    refused([dir("s1"), dir("s2"), dir("other-limit")], [/^error: shards disagree on --limit: .*s1 has 3, .*other-limit has 4/]));
  await t.test("a run that is not a shard", () => refused([dir("s1"), dir("s2"), dir("s3"), dir("whole")], [/^error: .*\/whole\/stories260K\/results_[0-9T.-]+\.json is not a shard's results \(written by `run` without --shard\)/]));
  await t.test("a samples file that is not the shard's own", () => {
    const broken = dir("s3-broken");
    cpSync(dir("s3"), broken, { recursive: true });
    // Shard 1's samples of the task under the name shard 3's results file records.
    const own = runSamplesFile(broken, "jcommonsenseqa-1.1-0.3");
    writeFileSync(own, readFileSync(runSamplesFile(dir("s1"), "jcommonsenseqa-1.1-0.3")));
    const results = path.basename(runResultsFile(broken));
    assert.match(path.basename(own), /^samples_jcommonsenseqa-1\.1-0\.3_[0-9T.-]+\.jsonl$/);
    refused([dir("s1"), dir("s2"), broken], [new RegExp(`^error: ${own.replaceAll(".", "\\.")} is not the file published with ${results.replaceAll(".", "\\.")} \\(sha256 `)]);
  });
  await t.test("the output folder is a shard's (its --output folder, its model folder, given either way)", () => {
    const shardFiles = () => readdirSync(path.join(dir("s1"), "stories260K")).sort();
    const before = shardFiles();
    const file = runResultsFile(dir("s1")).replaceAll(scratch, "<tmp>");
    const line = (output: string, source: string) =>
      `error: --output ${output} is the folder of shard ${source} (its results file ${file}); merge into another folder (the merged results would be written into the shard's folder, which would then mean the merged run).`;
    const modelFolder = path.join(dir("s1"), "stories260K");
    for (const [output, source] of [
      [dir("s1"), dir("s1")],
      [modelFolder, dir("s1")],
      [dir("s1"), modelFolder],
      [modelFolder, runResultsFile(dir("s1"))],
    ] as const) {
      const r = cli("merge", source, dir("s2"), dir("s3"), "--output", output);
      assert.equal(r.status, 2, r.stderr);
      assert.deepEqual(errorLines(r.stderr).map((l) => l.replaceAll(scratch, "<tmp>")), [line(output.replaceAll(scratch, "<tmp>"), source.replaceAll(scratch, "<tmp>"))]);
    }
    assert.deepEqual(shardFiles(), before, "nothing written into the shard's folder");
    assert.equal(runResultsFile(dir("s1")).replaceAll(scratch, "<tmp>"), file, "the shard's folder still means the shard");
  });
  await t.test("the three shards merge (given as --output folder, model folder, results file), equal the whole run, and --json prints the document", () => {
    const r = cli("merge", dir("s3"), path.join(dir("s1"), "stories260K"), runResultsFile(dir("s2")), "--output", dir("merged"), "--json", "-q");
    assert.equal(r.status, 0, r.stderr);
    const printed = JSON.parse(r.stdout) as { results: unknown; rakuten_eval: { merged_shards: number; summary: unknown } };
    assert.equal(printed.rakuten_eval.merged_shards, 3);
    const whole = readRunDoc(dir("whole"));
    assert.deepEqual(printed.results, whole.results);
    assert.deepEqual(printed.rakuten_eval.summary, whole.rakuten_eval.summary);
    // Written as `run --output` writes: merged/<model>/results_<date>.json, and that file is what was printed.
    const written = runResultsFile(dir("merged"));
    assert.equal(path.relative(dir("merged"), path.dirname(written)), "stories260K");
    assert.deepEqual(JSON.parse(readFileSync(written, "utf8")), printed);
  });
  await t.test("compare refuses a shard (it is not a run), accepts the merged run", () => {
    const r = cli("compare", dir("s2"), "--baseline", dir("whole"));
    assert.equal(r.status, 2);
    assert.deepEqual(errorLines(r.stderr).map((l) => l.replaceAll(scratch, "<tmp>")), [
      `error: new run ${runResultsFile(dir("s2")).replaceAll(scratch, "<tmp>")} is shard 2/3 of a sharded run, not a full run; merge its 3 shards with \`rakuten-eval merge\` and compare the merged results, or pass --allow-partial to compare what it scored.`,
    ]);
    const allowed = cli("compare", dir("s2"), "--baseline", dir("whole"), "--allow-partial");
    assert.equal(allowed.status, 1, "an --allow-... comparison never passes the gate");
    const ok = cli("compare", dir("merged"), "--baseline", dir("whole"));
    assert.equal(ok.status, 0, ok.stderr);
  });
  await t.test("report marks a shard as not a full run", () => {
    const r = cli("report", dir("s2"), "--output", dir("report"), "--published", "none");
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /shard 2\/3 only \(merge the shards\)/);
  });
});
