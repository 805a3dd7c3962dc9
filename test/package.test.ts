// The npm package: `npm pack` ships what runs (the compiled src, bin, manifests, published figures,
// schema, LICENSE) and nothing else (no tests, benchmarks or source maps); installed from the
// tarball into an empty folder, `rakuten-eval run` works on the tiny model.

import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runSamplesFile } from "./support/runFiles.js";
import { sharedSkip } from "./support/sharedData.js";

const root = process.cwd();
const model = path.resolve(root, "../shared/models/stories260K.gguf");
const dataDir = path.resolve(root, "../shared/datasets");
const built = existsSync(path.join(root, "dist/src/commands/run.js"));
const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-pack-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

function npm(args: string[], cwd: string, timeout = 240_000): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync("npm", args, { cwd, encoding: "utf8", timeout, env: { ...process.env, npm_config_update_notifier: "false" } });
  return { status: r.status, stdout: r.stdout ?? "", stderr: (r.stderr ?? "") + (r.error ? String(r.error) : "") };
}

test("npm pack ships the compiled sources, LICENSE and data manifests, and no tests, benchmarks or source maps", { skip: !built && "dist missing: run `npm run build` first", timeout: 120_000 }, () => {
  const r = npm(["pack", "--dry-run", "--json", "--ignore-scripts"], root);
  assert.equal(r.status, 0, r.stderr);
  const [pack] = JSON.parse(r.stdout) as { files: { path: string }[] }[];
  const files = pack!.files.map((f) => f.path);
  for (const f of files) {
    assert.doesNotMatch(f, /^dist\/(test|bench)\//, `${f} is a test or benchmark`);
    assert.doesNotMatch(f, /\.map$/, `${f} is a source map`);
    assert.doesNotMatch(f, /^(test|bench|src|docs)\//, `${f} is not needed to run`);
  }
  for (const f of ["LICENSE", "README.md", "package.json", "bin/run.js", "dist/src/commands/run.js", "dist/src/backend/llama/scorer.js", "datasets/jnli.json", "results/schema/results.schema.json", "results/published/paper-tables.json"]) {
    assert.ok(files.includes(f), `${f} missing from the package`);
  }
  // The licence is the Apache License 2.0 that package.json declares.
  assert.equal((JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { license: string }).license, "Apache-2.0");
  assert.match(readFileSync(path.join(root, "LICENSE"), "utf8"), /^\s*Apache License\s+Version 2\.0, January 2004/);
});

test("the packed package.json has no install-time script (npm would list rakuten-eval among unapproved install scripts, and tsc is not there to run)", { skip: !built && "dist missing: run `npm run build` first", timeout: 120_000 }, () => {
  const dest = path.join(scratch, "manifest");
  mkdirSync(dest);
  const packed = npm(["pack", "--json", "--ignore-scripts", "--pack-destination", dest], root);
  assert.equal(packed.status, 0, packed.stderr);
  const tarball = path.join(dest, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
  const tar = spawnSync("tar", ["-xzOf", tarball, "package/package.json"], { encoding: "utf8" });
  assert.equal(tar.status, 0, tar.stderr);
  const manifest = JSON.parse(tar.stdout) as { scripts?: Record<string, string> };
  // What npm runs when it installs a package from a tarball (npm docs, scripts: "Life Cycle Operation
  // Order" of npm install; prepare too for a non-registry source such as a tarball file).
  for (const script of ["preinstall", "install", "postinstall", "prepare", "prepublish"]) {
    assert.equal(manifest.scripts?.[script], undefined, `the packed package.json has a "${script}" script`);
  }
  // The tarball is built when it is made: `npm pack` and `npm publish` run prepack, which compiles.
  assert.match(manifest.scripts?.prepack ?? "", /tsc/);
});

const skipRun = (!built && "dist missing: run `npm run build` first") || sharedSkip(model, path.join(dataDir, "xwinograd"));

test("installed from the tarball into an empty folder, rakuten-eval runs", { skip: skipRun, timeout: 600_000 }, (t) => {
  const packed = npm(["pack", "--json", "--ignore-scripts", "--pack-destination", scratch], root);
  assert.equal(packed.status, 0, packed.stderr);
  const tarball = path.join(scratch, (JSON.parse(packed.stdout) as { filename: string }[])[0]!.filename);
  const app = path.join(scratch, "app");
  mkdirSync(app);
  writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "app", private: true }));
  // Install scripts are skipped: better-sqlite3's would compile SQLite for minutes when GitHub's
  // prebuilt binary cannot be fetched, and node-llama-cpp's only checks its binaries. The one
  // native addon that needs them comes from this checkout's own install (same version, checked).
  const installed = npm(["install", tarball, "--omit=optional", "--prefer-offline", "--ignore-scripts", "--no-audit", "--no-fund"], app, 400_000);
  if (installed.status !== 0) {
    t.skip(`npm install of the tarball failed (no network to the registry and no npm cache?): ${installed.stderr.trim().split("\n").slice(-3).join(" / ")}`);
    return;
  }
  const addon = "node_modules/better-sqlite3/build/Release/better_sqlite3.node";
  const version = (dir: string) => (JSON.parse(readFileSync(path.join(dir, "node_modules/better-sqlite3/package.json"), "utf8")) as { version: string }).version;
  assert.equal(version(app), version(root), "better-sqlite3 of the package and of this checkout differ");
  mkdirSync(path.dirname(path.join(app, addon)), { recursive: true });
  copyFileSync(path.join(root, addon), path.join(app, addon));

  const bin = path.join(app, "node_modules/.bin/rakuten-eval");
  assert.ok(existsSync(bin), "node_modules/.bin/rakuten-eval missing");
  const help = spawnSync(bin, ["run", "--help"], { cwd: app, encoding: "utf8", timeout: 60_000 });
  assert.equal(help.status, 0, help.stderr);
  assert.match(help.stdout, /EXAMPLES/);
  const out = path.join(app, "out");
  const run = spawnSync(bin, ["run", "--tasks", "xwinograd_ja", "--limit", "2", "--model", model, "--data-dir", dataDir, "--output", out, "--no-cache", "--threads", "1", "--json"], {
    cwd: app,
    encoding: "utf8",
    timeout: 300_000,
  });
  assert.equal(run.status, 0, run.stderr);
  const doc = JSON.parse(run.stdout) as { results: Record<string, Record<string, unknown>>; rakuten_eval: { harness: { name: string } } };
  assert.equal(typeof doc.results["xwinograd_ja"]!["acc,none"], "number");
  assert.equal(doc.rakuten_eval.harness.name, "rakuten-eval");
  // lm-eval's layout: <out>/<model>/samples_<task>_<date>.jsonl, named by the results file.
  assert.ok(existsSync(runSamplesFile(out, "xwinograd_ja")));
});
