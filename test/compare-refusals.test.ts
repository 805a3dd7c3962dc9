// What cannot be compared is refused through the CLI: exit 2 and one `error:` line per problem,
// unless the --allow-... flag named in that line is given, which the output then states; an
// allowed problem shows the numbers but never lets the gate pass (exit 1).

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { appendFileSync, existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { bits, tempDir, writeRun, type FixtureRun, type FixtureTask } from "./support/compareFixtures.js";

const bin = path.resolve(process.cwd(), "bin/run.js");
const skip = !existsSync(path.resolve(process.cwd(), "dist/src/commands/compare.js")) && "dist/src/commands/compare.js missing: run `npm run build` first";

function cli(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: "utf8", timeout: 60_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

const jnli = (over: Partial<FixtureTask> = {}): FixtureTask => ({ key: "jnli", task: "jnli-1.1-0.3", metric: "acc", score: 50, n: 20, samples: bits(20, 10), ...over });

function pair(base: Partial<FixtureRun>, next: Partial<FixtureRun>): { base: string; next: string } {
  const root = tempDir("refuse");
  return {
    base: writeRun(path.join(root, "base"), { modelPath: "/m/a.gguf", tasks: [jnli()], ...base }),
    next: writeRun(path.join(root, "new"), { modelPath: "/m/a.gguf", tasks: [jnli()], ...next }),
  };
}

/** Exactly one stderr line, an `error:` line matching `re`. */
function oneErrorLine(r: { status: number | null; stderr: string }, re: RegExp): void {
  assert.equal(r.status, 2, r.stderr);
  const lines = r.stderr.trim().split("\n");
  assert.equal(lines.length, 1, r.stderr);
  assert.match(lines[0]!, /^error: /);
  assert.match(lines[0]!, re);
}

test("an incomplete run is refused; --allow-partial compares it and says so", { skip }, () => {
  const { base, next } = pair({}, { complete: false });
  oneErrorLine(cli("compare", next, "--baseline", base), /new run .* is incomplete .*--allow-partial/);
  const allowed = cli("compare", next, "--baseline", base, "--allow-partial");
  assert.equal(allowed.status, 1, allowed.stderr);
  assert.match(allowed.stdout, /^allowed: new run is incomplete .*\(--allow-partial\)$/m);
  assert.match(allowed.stdout, /^Gate NOT PASSED: not comparable: new run is incomplete/m);
  // The baseline side too.
  const { base: b2, next: n2 } = pair({ complete: false }, {});
  oneErrorLine(cli("compare", n2, "--baseline", b2), /baseline .* is incomplete/);
});

test("samples that do not belong to their results are refused: doc count, or the recorded sha256", { skip }, () => {
  const { base, next } = pair({}, {});
  appendFileSync(path.join(next, "samples_jnli-1.1-0.3.jsonl"), JSON.stringify({ doc_id: 99, metrics: { acc: 1 } }) + "\n");
  oneErrorLine(cli("compare", next, "--baseline", base), /samples_jnli-1\.1-0\.3\.jsonl: 21 docs but its results file scored 20; the samples file does not belong/);

  // A recorded sha256 is checked instead of the count: the right one passes, a wrong one is refused.
  const root = tempDir("sha");
  const b = writeRun(path.join(root, "b"), { tasks: [jnli()] });
  const probe = writeRun(path.join(root, "probe"), { tasks: [jnli()] });
  const sha = createHash("sha256").update(readFileSync(path.join(probe, "samples_jnli-1.1-0.3.jsonl"))).digest("hex");
  const good = writeRun(path.join(root, "good"), { tasks: [jnli()], samplesSha256: { "jnli-1.1-0.3": sha } });
  assert.equal(cli("compare", good, "--baseline", b).status, 0);
  const bad = writeRun(path.join(root, "bad"), { tasks: [jnli()], samplesSha256: { "jnli-1.1-0.3": "f".repeat(64) } });
  oneErrorLine(cli("compare", bad, "--baseline", b), /sha256 [0-9a-f]{12}… differs from the ffffffffffff… its results file records/);
});

test("different shots, task version, prompt version, tokenization or dataset checksum are refused, one line each", { skip }, () => {
  const cases: [Partial<FixtureTask>, Partial<FixtureTask>, RegExp][] = [
    [{ shots: 3 }, { shots: 1 }, /jnli-1\.1-0\.3: shots 3 → 1;/],
    [{ version: "1.1" }, { version: "1.3" }, /jnli-1\.1-0\.3: task version 1\.1 → 1\.3;/],
    [{ promptVersion: "0.3" }, { promptVersion: "0.2" }, /jnli-1\.1-0\.3: prompt version 0\.3 → 0\.2;/],
    [{ tokenization: "separate" }, { tokenization: "encode_pair" }, /jnli-1\.1-0\.3: tokenization separate → encode_pair;/],
    [{ datasetSha256: "a".repeat(64) }, { datasetSha256: "b".repeat(64) }, /jnli-1\.1-0\.3 test sha256 aaaaaaaa… → bbbbbbbb…;/],
  ];
  for (const [b, n, re] of cases) {
    const { base, next } = pair({ tasks: [jnli(b)] }, { tasks: [jnli(n)] });
    const r = cli("compare", next, "--baseline", base);
    oneErrorLine(r, re);
    assert.match(r.stderr, /--allow-config-mismatch/);
  }
  // One version, two spellings: "1.0" (older files) and 1.0 (lm-eval's layout, read back as 1) agree.
  for (const [b, n] of [["1.0", 1], [1, "1.0"], ["1.1", 1.1]] as const) {
    const same = pair({ tasks: [jnli({ version: b })] }, { tasks: [jnli({ version: n })] });
    const r = cli("compare", same.next, "--baseline", same.base);
    assert.equal(r.status, 0, `${JSON.stringify(b)} vs ${JSON.stringify(n)}: ${r.stderr}`);
  }
  // Allowed: stated, and the row is not comparable (it cannot pass).
  const { base, next } = pair({ tasks: [jnli({ shots: 3 })] }, { tasks: [jnli({ shots: 1 })] });
  const r = cli("compare", next, "--baseline", base, "--allow-config-mismatch", "--json");
  assert.equal(r.status, 1, r.stderr);
  const doc = JSON.parse(r.stdout) as { allowed: string[]; rows: { key: string; verdict: string }[] };
  assert.ok(doc.allowed.some((a) => a.includes("shots 3 → 1") && a.includes("--allow-config-mismatch")), doc.allowed.join("; "));
  assert.equal(doc.rows.find((x) => x.key === "jnli")!.verdict, "not comparable");
  // Two tasks differing: two lines.
  const two = pair(
    { tasks: [jnli({ shots: 3 }), { key: "jcommonsenseqa", task: "jcommonsenseqa-1.1-0.3", metric: "acc", score: 50, n: 4, shots: 3 }] },
    { tasks: [jnli({ shots: 1 }), { key: "jcommonsenseqa", task: "jcommonsenseqa-1.1-0.3", metric: "acc", score: 50, n: 4, shots: 0 }] },
  );
  const r2 = cli("compare", two.next, "--baseline", two.base);
  assert.equal(r2.status, 2);
  assert.equal(r2.stderr.trim().split("\n").filter((l) => l.startsWith("error: ")).length, 2, r2.stderr);
});

test("1-shot against the paper's 3-shot is refused", { skip }, () => {
  const root = tempDir("paper-shots");
  const next = writeRun(path.join(root, "n"), { tasks: [jnli({ shots: 1, n: 2434, samples: undefined })] });
  oneErrorLine(cli("compare", next, "--baseline", "published:rakutenai-7b"), /settings differ from the paper's setup: jnli-1\.1-0\.3: shots 3 \(paper\) → 1;/);
});

test("a --limit run against the paper is refused; --allow-limit shows it as not comparable and exits 1", { skip }, () => {
  const root = tempDir("limit");
  const next = writeRun(path.join(root, "n"), { limit: 20, tasks: [jnli()] });
  oneErrorLine(cli("compare", next, "--baseline", "published:rakutenai-7b"), /the new run used --limit 20: .*not comparable: run without --limit, or pass --allow-limit/);
  const r = cli("compare", next, "--baseline", "published:rakutenai-7b", "--allow-limit", "--max-drop", "100");
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /^Gate NOT PASSED: not comparable: the new run used --limit 20/m);
  const j = cli("compare", next, "--baseline", "published:rakutenai-7b", "--allow-limit", "--json");
  assert.equal(j.status, 1);
  const doc = JSON.parse(j.stdout) as { failed: boolean; rows: { newScore: number | null; verdict: string }[] };
  assert.equal(doc.failed, true);
  for (const row of doc.rows.filter((x) => x.newScore !== null)) assert.equal(row.verdict, "not comparable");
});

test("two runs of one model file get told apart; --label and --baseline-label name them", { skip }, () => {
  const root = tempDir("labels");
  const a = writeRun(path.join(root, "run-a"), { modelPath: "/m/stories260K.gguf", tasks: [jnli()] });
  const b = writeRun(path.join(root, "run-b"), { modelPath: "/m/stories260K.gguf", tasks: [jnli()] });
  const r = cli("compare", b, "--baseline", a);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /^new: stories260K \(run-b\) /m);
  assert.match(r.stdout, /^baseline: stories260K \(run-a\) /m);
  const l = cli("compare", b, "--baseline", a, "--label", "candidate", "--baseline-label", "accepted");
  assert.match(l.stdout, /^new: candidate /m);
  assert.match(l.stdout, /^baseline: accepted /m);
  // A label recorded at run time (rakuten_eval.label) is used.
  const c = writeRun(path.join(root, "run-c"), { modelPath: "/m/stories260K.gguf", label: "nightly", tasks: [jnli()] });
  assert.match(cli("compare", c, "--baseline", a).stdout, /^new: nightly /m);
  // --max-drop-task takes the aliases `run` takes.
  const alias = cli("compare", b, "--baseline", a, "--max-drop-task", "jnli=3");
  assert.equal(alias.status, 0, alias.stderr);
  const jcs = (ones: number): FixtureTask => ({ key: "jcommonsenseqa", task: "jcommonsenseqa-1.1-0.3", metric: "acc", score: ones * 5, n: 20, samples: bits(20, ones) });
  const jb = writeRun(path.join(root, "jcs-b"), { tasks: [jcs(15)] });
  const jn = writeRun(path.join(root, "jcs-n"), { tasks: [jcs(5)] }); // 10 docs lost: p = 2/1024
  const tight = cli("compare", jn, "--baseline", jb, "--json");
  assert.equal(tight.status, 1);
  const loose = cli("compare", jn, "--baseline", jb, "--max-drop-task", "jcs=60", "--json");
  assert.equal(loose.status, 0, loose.stderr);
  assert.equal((JSON.parse(loose.stdout) as { rows: { key: string; maxDrop: number }[] }).rows.find((x) => x.key === "jcommonsenseqa")!.maxDrop, 60);
  oneErrorLine(cli("compare", b, "--baseline", a, "--max-drop-task", "nosuchtask=3"), /--max-drop-task nosuchtask: no such task/);
});
