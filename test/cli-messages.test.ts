// What compare, report and the CLI at large say when the user is not quite right: which results
// file a folder stood for (and that an older one covers more), "did you mean" for a baseline
// that was meant to be the paper, for a misspelt flag and for a misspelt command, every error in
// one `error:` form, and a Ctrl-C line under --no-cache that does not promise a cache.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { writeRun } from "./support/compareFixtures.js";

const root = process.cwd();
const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-messages-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function cli(args: string[], env: NodeJS.ProcessEnv = {}): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["bin/run.js", ...args], { cwd: root, encoding: "utf8", env: { ...process.env, ...env }, timeout: 120_000 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** As the CLI shows a path: relative to the working folder unless that climbs three folders or more. */
function shown(file: string): string {
  const relative = path.relative(root, file);
  return relative.split(path.sep).slice(0, 3).every((part) => part === "..") ? file : relative;
}

/** A model folder holding a full JNLI run (1,119 docs) of 2026-01-01 and a --limit 2 run of 2026-01-02, the newer. */
function folderWithTwoRuns(): { dir: string; full: string; limited: string } {
  const dir = path.join(scratch, "runs", "model");
  const place = (name: string, n: number, limit: number | null) => {
    writeRun(dir, { modelPath: "/m/model.gguf", limit, tasks: [{ key: "jnli", task: "jnli-1.1-0.3", metric: "acc", score: 50, stderr: 1, n }] });
    const file = path.join(dir, name);
    const doc = JSON.parse(readFileSync(path.join(dir, "results.json"), "utf8")) as { "n-samples": Record<string, { original: number; effective: number }> };
    doc["n-samples"]["jnli-1.1-0.3"] = { original: 1119, effective: n };
    writeFileSync(path.join(dir, "results.json"), JSON.stringify(doc));
    renameSync(path.join(dir, "results.json"), file);
    return file;
  };
  const full = place("results_2026-01-01T10-00-00.json", 1119, null);
  const limited = place("results_2026-01-02T10-00-00.json", 2, 2);
  return { dir, full, limited };
}

test("compare and report name the results file a folder of several stood for, and warn when an older one covers more", () => {
  const { dir, full, limited } = folderWithTwoRuns();
  const taken = `(2026-01-02 10:00:00, --limit 2: 2 of 1,119 docs, 1 task; the newest in its folder)`;
  const warning = `is a --limit 2 run of 2 docs, but ${shown(full)} (2026-01-01 10:00:00, 1,119 docs, 1 task) covers more; name that file to use it.`;

  const compare = cli(["compare", dir, "--baseline", "published:rakutenai-7b", "--allow-limit"]);
  const lines = compare.stderr.split("\n");
  assert.ok(lines.includes(`new run: ${shown(limited)} ${taken}`), compare.stderr);
  assert.ok(lines.includes(`warning: new run ${warning}`), compare.stderr);

  const report = cli(["report", dir, "--output", path.join(scratch, "report"), "--quiet", "--no-explorer"]);
  assert.equal(report.status, 0, report.stderr);
  assert.ok(report.stderr.split("\n").includes(`run ${dir}: ${shown(limited)} ${taken}`), report.stderr);
  assert.ok(report.stderr.split("\n").includes(`warning: run ${dir} ${warning}`), report.stderr);

  // Named directly, a file needs no such line; the fuller run, taken from its folder, no warning.
  const direct = cli(["compare", limited, "--baseline", "published:rakutenai-7b", "--allow-limit"]);
  assert.ok(!/^(new run|warning):/m.test(direct.stderr), direct.stderr);
  // The full run the newer one: named, no warning.
  renameSync(limited, path.join(dir, "results_2025-12-31T10-00-00.json"));
  const fullNewest = cli(["compare", dir, "--baseline", "published:rakutenai-7b"]);
  assert.ok(fullNewest.stderr.split("\n").includes(`new run: ${shown(full)} (2026-01-01 10:00:00, 1,119 docs, 1 task; the newest in its folder)`), fullNewest.stderr);
  assert.ok(!/^warning:/m.test(fullNewest.stderr), fullNewest.stderr);
  // One results file in the folder: nothing to choose, nothing said.
  rmSync(path.join(dir, "results_2025-12-31T10-00-00.json"));
  const alone = cli(["compare", dir, "--baseline", "published:rakutenai-7b"]);
  assert.ok(!/^(new run|warning):/m.test(alone.stderr), alone.stderr);
});

test("--baseline paper and other near misses of published:<id> get a did-you-mean", () => {
  const { dir } = folderWithTwoRuns();
  for (const [given, meant] of [
    ["paper", "published:rakutenai-7b"],
    ["rakutenai-7b", "published:rakutenai-7b"],
    ["published-rakutenai-7b", "published:rakutenai-7b"],
    ["rakuten-ai-7b-instrct", "published:rakuten-ai-7b-instruct"],
  ] as const) {
    const r = cli(["compare", dir, "--baseline", given]);
    assert.equal(r.status, 2, r.stderr);
    assert.equal(r.stderr.trim().split("\n").at(-1), `error: ${given} does not exist; did you mean ${meant}? (the paper's published figures: published:<model id>, e.g. published:rakutenai-7b)`);
  }
  // A path that resembles nothing keeps the plain message.
  assert.doesNotMatch(cli(["compare", dir, "--baseline", "no-such-run-folder"]).stderr, /did you mean/);
});

test("misspelt flags and commands: did you mean, one `error:` line each, exit 2, no oclif ` ›   Error:` form", () => {
  const cases: [string[], string][] = [
    [["run", "--modle", "m.gguf"], "error: Nonexistent flag: --modle (did you mean --model?); see `rakuten-eval run --help`."],
    [["compare", "x", "--baselin", "y"], "error: Nonexistent flag: --baselin (did you mean --baseline?); see `rakuten-eval compare --help`."],
    [["datasets", "pul"], "error: no command \"datasets pul\"; did you mean `rakuten-eval datasets pull`? (`rakuten-eval --help` lists the commands)"],
    [["reprot"], "error: no command \"reprot\"; did you mean `rakuten-eval report`? (`rakuten-eval --help` lists the commands)"],
    [["frobnicate"], "error: no command \"frobnicate\"; see `rakuten-eval --help` for the commands."],
    [["tasks", "extra"], "error: `rakuten-eval tasks` takes no argument \"extra\"; see `rakuten-eval tasks --help`."],
    [["compare", "x", "--baseline", "y", "--format", "xx"], "error: Expected --format=xx to be one of: table, markdown, json; see `rakuten-eval compare --help`."],
  ];
  for (const [args, line] of cases) {
    const r = cli(args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.equal(r.stderr, `${line}\n`, args.join(" "));
  }
});

const model = path.resolve(root, "../shared/models/stories260K.gguf");
const data = path.resolve(root, "../shared/datasets");
test("Ctrl-C under --no-cache says that nothing is cached, not that finished answers are kept", { skip: (!existsSync(model) || !existsSync(data)) && "../shared/models/stories260K.gguf or ../shared/datasets absent", timeout: 120_000 }, () => {
  const args = ["run", "--tasks", "xwinograd_ja", "--shots", "0", "--limit", "8", "--model", model, "--data-dir", data, "--output", path.join(scratch, "int"), "--threads", "1"];
  // src/util/killPoint.ts: SIGINT to itself after the 3rd answer.
  const r = cli([...args, "--no-cache"], { RAKUTEN_EVAL_KILL_AT: "stored:3:SIGINT" });
  assert.equal(r.status, 130, r.stderr);
  const line = r.stderr.split("\n").find((l) => l.startsWith("interrupt: stopping"));
  assert.equal(line, "interrupt: stopping; nothing is cached (--no-cache): partial results of the finished docs are written, a rerun starts over (Ctrl-C again to quit at once)");
  assert.doesNotMatch(r.stderr, /answers are kept/);
  // With the cache, the promise holds and is made.
  const cached = cli([...args, "--cache-dir", path.join(scratch, "int-cache")], { RAKUTEN_EVAL_KILL_AT: "stored:3:SIGINT" });
  assert.equal(cached.status, 130, cached.stderr);
  assert.match(cached.stderr, /^interrupt: stopping; finished answers are kept \(Ctrl-C again to quit at once\)$/m);
});
