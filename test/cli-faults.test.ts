// The "Bad input" rows (docs/bad-input.md) added for the ways real jobs end badly (issue 24): a request cache
// that cannot be opened, a model llama.cpp cannot load, and inputs once taken without a look
// (an empty --output, a dataset file that is a symlink loop, labels with control characters
// or of any length). Each through ./bin/run.js: exit 2 and exactly the documented line.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sharedSkip } from "./support/sharedData.js";

const root = process.cwd();
const model = path.resolve(root, "../shared/models/stories260K.gguf");
const shared = path.resolve(root, "../shared/datasets");
const skip = sharedSkip(model, shared);

const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-faults-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
const p = (...parts: string[]) => path.join(scratch, ...parts);

function cli(args: string[]): Promise<{ code: number | null; stderr: string; ms: number }> {
  const started = Date.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["bin/run.js", ...args], { cwd: root, stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    child.on("close", (code) => resolve({ code, stderr, ms: Date.now() - started }));
  });
}

const run = (extra: string[], opts: { modelPath?: string; data?: string; cache?: string[] } = {}) => [
  "run", "--tasks", "xwinograd_ja", "--limit", "1", "--model", opts.modelPath ?? model, "--data-dir", opts.data ?? shared, "--output", p("out"), ...(opts.cache ?? ["--no-cache"]), ...extra,
];

/** A copy of the model with bytes changed: `at` finds the offset of the value after a metadata key. */
function patchedModel(name: string, patch: (bytes: Buffer, valueOf: (key: string) => number) => void): string {
  const bytes = Buffer.from(readFileSync(model));
  // A GGUF key/value pair: key (u64 length + bytes), u32 type, then the value.
  const valueOf = (key: string) => bytes.indexOf(Buffer.from(key)) + key.length + 4;
  patch(bytes, valueOf);
  const file = p(`${name}.gguf`);
  writeFileSync(file, bytes);
  return file;
}

const LLAMA = String.raw`\(llama\.cpp [^)]+\)`;
const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

interface Row {
  input: string;
  args: () => string[];
  line: () => string | RegExp;
}

const ROWS: Row[] = [
  {
    input: "requests.sqlite is a directory",
    args: () => run([], { cache: ["--cache-dir", p("dir-cache")] }),
    line: () =>
      `error: The request cache ${p("dir-cache", "requests.sqlite")} is a directory, not a database file (unable to open database file, SQLITE_CANTOPEN); move it out of the way, or pass --cache-dir with another folder, or --no-cache (answers then are not kept for a resume).`,
  },
  {
    input: "model of an architecture llama.cpp does not know",
    // general.architecture "llama" → "llamz" (a string value: u64 length, then the bytes).
    args: () => run([], { modelPath: patchedModel("arch", (b, at) => b.write("llamz", at("general.architecture") + 8)) }),
    line: () => new RegExp(`^error: Cannot load model ${escape(p("arch.gguf"))}: unknown model architecture: 'llamz' ${LLAMA}\\. This llama\\.cpp cannot read this model: use a model of an architecture and GGUF version it supports, or a rakuten-eval built on a newer node-llama-cpp\\.$`),
  },
  {
    input: "model whose metadata does not match its tensors (one block more than it has)",
    args: () => run([], { modelPath: patchedModel("blocks", (b, at) => b.writeUInt32LE(b.readUInt32LE(at("llama.block_count")) + 1, at("llama.block_count"))) }),
    line: () =>
      new RegExp(
        `^error: Cannot load model ${escape(p("blocks.gguf"))}: missing tensor 'blk\\.5\\.attn_norm\\.weight' ${LLAMA}\\. The file's metadata does not match its tensors \\(converted or edited wrongly, or damaged\\): download it again, or convert it again with llama\\.cpp's convert_hf_to_gguf\\.py\\.$`,
      ),
  },
  {
    input: "model whose hyperparameters llama.cpp rejects (embedding length doubled)",
    args: () => run([], { modelPath: patchedModel("embedding", (b, at) => b.writeUInt32LE(b.readUInt32LE(at("llama.embedding_length")) * 2, at("llama.embedding_length"))) }),
    line: () => new RegExp(`^error: Cannot load model ${escape(p("embedding.gguf"))}: error loading model hyperparameters: invalid n_rot: 8, expected 16 ${LLAMA}\\. The file's metadata does not match its tensors`),
  },
  {
    input: "GGUF version newer than llama.cpp reads",
    args: () => run([], { modelPath: patchedModel("v9", (b) => b.writeUInt32LE(9, 4)) }),
    line: () =>
      `error: ${p("v9.gguf")} is GGUF version 9, newer than this llama.cpp reads (2 to 3); convert the model with a llama.cpp of the same age as rakuten-eval's, or use a rakuten-eval built on a newer node-llama-cpp.`,
  },
  {
    input: "GGUF version 1",
    args: () => run([], { modelPath: patchedModel("v1", (b) => b.writeUInt32LE(1, 4)) }),
    line: () => `error: ${p("v1.gguf")} is GGUF version 1, older than this llama.cpp reads (2 to 3); convert the original model again with a current llama.cpp (convert_hf_to_gguf.py).`,
  },
  {
    input: '--output "" (an unset variable)',
    args: () => ["run", "--tasks", "xwinograd_ja", "--model", model, "--data-dir", shared, "--output", "", "--no-cache"],
    line: () => "error: --output is given an empty value (an unset shell variable?); give it a value or leave --output out (see `rakuten-eval run --help`).",
  },
  {
    input: '--cache-dir "" (an unset variable)',
    args: () => run(["--cache-dir", ""], { cache: [] }),
    line: () => "error: --cache-dir is given an empty value (an unset shell variable?); give it a value or leave --cache-dir out (see `rakuten-eval run --help`).",
  },
  {
    input: 'compare "" (an unset variable as the run)',
    args: () => ["compare", "", "--baseline", "published:rakutenai-7b"],
    line: () => "error: The results argument is empty (an unset shell variable?); give it a value (see `rakuten-eval compare --help`).",
  },
  {
    input: "a dataset file that is a symlink loop",
    args: () => run([], { data: p("loop-data") }),
    line: () => `error: ${p("loop-data", "xwinograd", "jp_test_stability_format.jsonl")} is a symbolic link loop (ELOOP), not a file (xwinograd_ja test); replace it with the dataset file.`,
  },
  {
    input: "--label with a newline and a terminal escape",
    args: () => run(["--label", "fast\n\u001b[2Jrun"]),
    line: () => '--label "fast\\n\\u001b[2Jrun" holds a control character (\\n at position 5); labels are one line of plain text: drop newlines, tabs and escape sequences.',
  },
  {
    input: "--label of 100,000 characters",
    args: () => run(["--label", "x".repeat(100_000)]),
    line: () => "error: --label is 100000 characters long, more than 200; give a short name (the details belong in the results' notes or the file name).",
  },
  {
    input: "compare --baseline-label with a tab",
    args: () => ["compare", p("out"), "--baseline", "published:rakutenai-7b", "--baseline-label", "a\tb"],
    line: () => 'error: --baseline-label "a\\tb" holds a control character (\\t at position 2); labels are one line of plain text: drop newlines, tabs and escape sequences.',
  },
];

test("cache faults, models llama.cpp cannot load, inputs taken without a look: exit 2 and one documented line each", { skip, timeout: 240_000 }, async () => {
  mkdirSync(p("dir-cache", "requests.sqlite"), { recursive: true });
  mkdirSync(p("out"), { recursive: true });
  mkdirSync(p("loop-data"), { recursive: true });
  cpSync(path.join(shared, "xwinograd"), p("loop-data", "xwinograd"), { recursive: true });
  const loop = p("loop-data", "xwinograd", "jp_test_stability_format.jsonl");
  rmSync(loop);
  symlinkSync(loop, loop);
  for (const row of ROWS) {
    const { code, stderr } = await cli(row.args());
    assert.equal(code, 2, `${row.input}: exit code\n${stderr}`);
    const lines = stderr.split("\n").filter((l) => l !== "");
    assert.equal(lines.length, 1, `${row.input}: one line, got:\n${stderr}`);
    const want = row.line();
    if (typeof want === "string") assert.equal(lines[0], want.startsWith("error: ") ? want : `error: ${want}`, row.input);
    else assert.match(lines[0]!, want, row.input);
    assert.doesNotMatch(stderr, /\[node-llama-cpp\]|\n\s+at /, `${row.input}: no library noise, no stack trace`);
  }
  assert.deepEqual(readdirSync(p("out")), [], "nothing written");
});

test("a label read from a results file reaches compare's Markdown escaped and cut, in linear time", { skip, timeout: 120_000 }, async () => {
  const out = p("labelled");
  const made = await cli(["run", "--tasks", "xwinograd_ja", "--limit", "2", "--model", model, "--data-dir", shared, "--output", out, "--no-cache", "-q"]);
  assert.equal(made.code, 0, made.stderr);
  const dir = path.join(out, "stories260K");
  const file = path.join(dir, readdirSync(dir).find((f) => f.startsWith("results_"))!);
  const doc = JSON.parse(readFileSync(file, "utf8")) as { rakuten_eval: { label?: string } };
  // Written by hand or by an older version: a newline, a pipe and an escape, then 300,000 characters.
  doc.rakuten_eval.label = `new|\n\u001b[31mred${"y".repeat(300_000)}`;
  writeFileSync(file, JSON.stringify(doc));
  const cmd = ["compare", out, "--baseline", out, "--baseline-label", "base", "--format", "markdown"];
  const child = spawn(process.execPath, ["bin/run.js", ...cmd], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  child.stdout!.on("data", (d: Buffer) => (stdout += d.toString("utf8")));
  const started = Date.now();
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  const ms = Date.now() - started;
  assert.equal(code, 0);
  // The label as the file holds it, escaped: 200 characters of it, then "…", in one heading line.
  // The first 200 characters are "new|", "\n", ESC, "[31m", "red" (13) and 187 "y"; Markdown escapes "\" and "|".
  const shown = `new\\|\\\\n\\\\u001b[31mred${"y".repeat(187)}…`;
  const heading = stdout.split("\n")[0]!;
  assert.ok(heading.includes(shown), heading.slice(0, 300));
  assert.doesNotMatch(stdout, /\u001b/, "no raw escape reaches the output");
  // Measured before: 100,000 characters took over a minute; linear, 300,000 take a few seconds.
  assert.ok(ms < 20_000, `compare took ${ms} ms`);
});
