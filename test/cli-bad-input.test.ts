// Every row of the "Bad input" table (docs/bad-input.md): the CLI refuses the input before any model
// call with exit code 2 and exactly the documented line(s) on stderr (one per problem).
// The expected lines are the table's, with this test's temporary paths filled in.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { readRunDoc, runResultsFile } from "./support/runFiles.js";
import { sharedSkip } from "./support/sharedData.js";

const root = process.cwd();
const model = path.resolve(root, "../shared/models/stories260K.gguf");
const shared = path.resolve(root, "../shared/datasets");
const skip = sharedSkip(model, shared);

const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-bad-input-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
const p = (...parts: string[]) => path.join(scratch, ...parts);

interface Outcome {
  code: number | null;
  stderr: string;
}

/**
 * Run the CLI. `before` is a shell command run first in the same process, which then `exec`s
 * node: `$$` in it is the CLI's own pid (used to plant a file where the run will write).
 * A run that outlives `timeoutMs` is killed and reported as a hang (code null).
 */
function cli(args: string[], opts: { env?: NodeJS.ProcessEnv; before?: string; timeoutMs?: number } = {}): Promise<Outcome> {
  return new Promise((resolve) => {
    const options = { cwd: root, stdio: ["ignore", "ignore", "pipe"] as ("ignore" | "pipe")[], env: { ...process.env, ...opts.env } };
    const child = opts.before
      ? spawn("/bin/sh", ["-c", `${opts.before} && exec "$0" bin/run.js "$@"`, process.execPath, ...args], options)
      : spawn(process.execPath, ["bin/run.js", ...args], options);
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString("utf8")));
    const timer = setTimeout(() => {
      stderr += `(killed: still running after ${opts.timeoutMs ?? 60_000} ms)\n`;
      child.kill("SIGKILL");
    }, opts.timeoutMs ?? 60_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

// Few at a time: each run is a Node process (~1 s on 2 cores).
let running = 0;
const waiting: (() => void)[] = [];
async function limited<T>(work: () => Promise<T>): Promise<T> {
  if (running >= 3) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** Byte offset of the 0xff planted in latin-data's xWinograd file. */
let latinOffset = -1;

function setUpFiles(): void {
  mkdirSync(p("out"), { recursive: true });
  writeFileSync(p("not-gguf.gguf"), "this is a text file, not a model\n");
  const bytes = readFileSync(model);
  writeFileSync(p("cut-header.gguf"), bytes.subarray(0, 2000));
  writeFileSync(p("cut-tensors.gguf"), bytes.subarray(0, 600000));
  writeFileSync(p("a-file"), "x");
  mkdirSync(p("empty-data"), { recursive: true });
  // A data folder with one answer changed in JCommonsenseQA and a broken line 3 in xWinograd.
  mkdirSync(p("bad-data", "jcommonsenseqa"), { recursive: true });
  mkdirSync(p("bad-data", "xwinograd"), { recursive: true });
  const jcs = readFileSync(path.join(shared, "jcommonsenseqa/valid-v1.1.json"), "utf8");
  writeFileSync(p("bad-data", "jcommonsenseqa", "valid-v1.1.json"), jcs.replace('"label": 2}', '"label": 3}'));
  const xw = readFileSync(path.join(shared, "xwinograd/jp_test_stability_format.jsonl"), "utf8").split("\n");
  xw[2] = xw[2]!.slice(0, -5);
  writeFileSync(p("bad-data", "xwinograd", "jp_test_stability_format.jsonl"), xw.join("\n"));
  // A cache folder holding a corrupt database.
  mkdirSync(p("corrupt-cache"), { recursive: true });
  writeFileSync(p("corrupt-cache", "requests.sqlite"), "SQLite format 3\0" + "garbage".repeat(600));
  // Not regular files: a directory where JCommonsenseQA's file should be, a FIFO for xWinograd's
  // and for the model and a results.json (a FIFO would block whoever opens it).
  mkdirSync(p("odd-data", "jcommonsenseqa", "valid-v1.1.json"), { recursive: true });
  mkdirSync(p("odd-data", "xwinograd"), { recursive: true });
  mkfifo(p("odd-data", "xwinograd", "jp_test_stability_format.jsonl"));
  mkdirSync(p("model-dir.gguf"), { recursive: true });
  mkfifo(p("model-fifo.gguf"));
  mkfifo(p("results-fifo.json"));
  mkdirSync(p("run-dir", "results.json"), { recursive: true });
  // An empty xWinograd file, and one whose line 4 has a byte that is not UTF-8 (0xff for a "。").
  mkdirSync(p("empty-split", "xwinograd"), { recursive: true });
  writeFileSync(p("empty-split", "xwinograd", "jp_test_stability_format.jsonl"), "");
  mkdirSync(p("latin-data", "xwinograd"), { recursive: true });
  const xwBytes = readFileSync(path.join(shared, "xwinograd/jp_test_stability_format.jsonl"));
  let line4 = 0;
  for (let k = 0; k < 3; k++) line4 = xwBytes.indexOf(0x0a, line4) + 1;
  latinOffset = xwBytes.indexOf(Buffer.from("。"), line4);
  assert.ok(line4 > 0 && latinOffset > line4 && latinOffset < xwBytes.indexOf(0x0a, line4));
  writeFileSync(p("latin-data", "xwinograd", "jp_test_stability_format.jsonl"), Buffer.concat([xwBytes.subarray(0, latinOffset), Buffer.from([0xff]), xwBytes.subarray(latinOffset + 3)]));
}

function mkfifo(file: string): void {
  if (!existsSync(file)) execFileSync("mkfifo", [file]);
}

/**
 * With no --data-dir, `run` pulls missing files into $XDG_CACHE_HOME/rakuten-eval/datasets;
 * every host points at a closed port, so an attempted download would show as lines on stderr.
 */
const PULL_ENV = () => ({
  XDG_CACHE_HOME: p("xdg"),
  HF_ENDPOINT: "http://127.0.0.1:9",
  RAKUTEN_EVAL_SOURCE_MIRROR: "http://127.0.0.1:9",
  HF_HUB_OFFLINE: "",
  RAKUTEN_EVAL_OFFLINE: "",
});

const base = (extra: string[], opts: { tasks?: string[]; data?: string; modelPath?: string; output?: string } = {}) => [
  "run",
  ...(opts.tasks ?? ["--tasks", "jcs", "--shots", "0", "--limit", "2"]),
  "--model",
  opts.modelPath ?? model,
  "--data-dir",
  opts.data ?? shared,
  "--output",
  opts.output ?? p("out"),
  "--no-cache",
  ...extra,
];

interface Row {
  input: string;
  args: () => string[];
  lines: () => (string | RegExp)[];
  code?: number;
  env?: () => NodeJS.ProcessEnv;
  before?: () => string;
}

const XW = (dir: string) => p(dir, "xwinograd", "jp_test_stability_format.jsonl");
const NO_TASK = (raw: string) =>
  `error: --tasks ${raw} names no task; give task names separated by commas (e.g. --tasks jcommonsenseqa-1.1-0.3,xwinograd_ja; \`rakuten-eval tasks\` lists them), or --suite ja|en|all.`;
const NOT_RESULTS = (file: string, kind: string) =>
  `error: ${file} is ${kind}, not a results file; give a results_<date>.json (or a legacy results.json) written by \`rakuten-eval run\` or lm-evaluation-harness, its model folder, or the --output folder holding one model folder.`;
const ALTERED_JCS = () =>
  `error: ${p("bad-data", "jcommonsenseqa", "valid-v1.1.json")}: sha256 d0d979c77a13e2abf5136e6fde500e394f1ada51f3aded4b0efe630eff7a10a5 differs from the pinned 0d8d76f3bfa0d174866939882faccdd01fbc2bcd5a76c43748ba0c40a7b3b8d4 (jcommonsenseqa validation); the file was altered or is another version: re-download it.`;
const MISSING_MODEL = () => `error: Model file not found: ${p("nope.gguf")}. Check the path, or download the GGUF model file first.`;

const ROWS: Row[] = [
  { input: "model file missing", args: () => base([], { modelPath: p("nope.gguf") }), lines: () => [MISSING_MODEL()] },
  {
    input: "model file not GGUF",
    args: () => base([], { modelPath: p("not-gguf.gguf") }),
    lines: () => [`error: Not a GGUF model file: ${p("not-gguf.gguf")} (it does not start with the "GGUF" magic bytes). Pass a .gguf file; convert other formats with llama.cpp's convert_hf_to_gguf.py.`],
  },
  {
    input: "model header cut short",
    args: () => base([], { modelPath: p("cut-header.gguf") }),
    lines: () => [`error: Corrupt or truncated GGUF header in ${p("cut-header.gguf")} (the header needs 6400 bytes, the file has 2000). Download the file again and compare its sha256.`],
  },
  {
    input: "model tensors cut short",
    args: () => base([], { modelPath: p("cut-tensors.gguf") }),
    lines: () => [`error: Truncated GGUF model file: ${p("cut-tensors.gguf")} is 600000 bytes but its tensors need 1185376. Download the file again and compare its sha256.`],
  },
  {
    input: "context too small for the longest request",
    args: () => base(["--context-size", "64"]),
    lines: () => [/^error: --context-size 64 is too small: \d+ request\(s\) need up to \d+ tokens even after the reference's truncation to the model's 2048; raise --context-size to at least \d+, or leave it out\.$/],
  },
  {
    input: "unknown task",
    args: () => base([], { tasks: ["--tasks", "jcs,nosuchtask"] }),
    lines: () => ['error: --tasks: Unknown task "nosuchtask"; run `rakuten-eval tasks` for the list.'],
  },
  { input: "unknown suite", args: () => base([], { tasks: ["--suite", "jp"] }), lines: () => ['error: Unknown suite "jp" (--suite); use one of ja, en, all.'] },
  { input: "neither --suite nor --tasks", args: () => base([], { tasks: [] }), lines: () => ["error: Choose what to run: --suite ja|en|all or --tasks a,b,c."] },
  {
    input: "--shots negative",
    args: () => base([], { tasks: ["--tasks", "jcs", "--shots=-1"] }),
    lines: () => ['error: --shots "-1" is not a non-negative integer or a comma list of them (e.g. --shots 3 or --shots 3,3,3,2,1,1,0,5).'],
  },
  {
    input: "--shots not an integer",
    args: () => base([], { tasks: ["--tasks", "jcs", "--shots", "1.5"] }),
    lines: () => ['error: --shots "1.5" is not a non-negative integer or a comma list of them (e.g. --shots 3 or --shots 3,3,3,2,1,1,0,5).'],
  },
  {
    input: "--shots list of the wrong length",
    args: () => base([], { tasks: ["--tasks", "jcs,xwinograd_ja", "--shots", "3,3,3"] }),
    lines: () => ["error: --shots has 3 values but 2 tasks are selected (jcommonsenseqa-1.1-0.3, xwinograd_ja); give one number or one per task."],
  },
  {
    input: "--limit not positive",
    args: () => base([], { tasks: ["--tasks", "jcs", "--limit", "0"] }),
    lines: () => ["error: --limit 0 must be a whole number of at least 1 (the first N docs of each task's shuffled order)."],
  },
  {
    input: "--limit not a number",
    args: () => base([], { tasks: ["--tasks", "jcs", "--limit", "ten"] }),
    lines: () => ["error: --limit ten must be a whole number of at least 1 (the first N docs of each task's shuffled order)."],
  },
  { input: "--threads 0", args: () => base(["--threads", "0"]), lines: () => ["error: --threads 0 must be a whole number of at least 1 (CPU threads)."] },
  {
    input: "--shard 0/8",
    args: () => base(["--shard", "0/8"]),
    lines: () => ["error: --shard \"0/8\" must be i/N with 1 ≤ i ≤ N (1-based: --shard 1/8 … --shard 8/8; from a 0-based Kubernetes JOB_COMPLETION_INDEX pass $((JOB_COMPLETION_INDEX + 1))/N)."],
  },
  { input: "unknown flag", args: () => base(["--shot", "3"]), lines: () => ["error: Nonexistent flag: --shot (did you mean --shots?); see `rakuten-eval run --help`."] },
  {
    input: "output folder not writable",
    args: () => base([], { output: p("a-file", "out") }),
    lines: () => [`error: Output directory ${p("a-file", "out")} is not writable (ENOTDIR); pass --output with a writable folder.`],
  },
  {
    input: "cache folder not writable",
    args: () => [...base([]).filter((a) => a !== "--no-cache"), "--cache-dir", p("a-file")],
    lines: () => [`error: Cache directory ${p("a-file")} is not writable (EEXIST); pass --cache-dir with a writable folder, or --no-cache.`],
  },
  {
    input: "data folder missing",
    args: () => base([], { data: p("no-such-data") }),
    lines: () => [
      `error: Data directory ${p("no-such-data")} (--data-dir) does not exist or is not a folder; pass the folder that holds the datasets (e.g. ../shared/datasets) or fill it with \`rakuten-eval datasets pull\`.`,
    ],
  },
  {
    input: "no selected task has its data",
    args: () => base([], { data: p("empty-data") }),
    lines: () => [`error: No selected task has its data in ${p("empty-data")}; pass --data-dir pointing at a folder laid out like the dataset manifests, or run \`rakuten-eval datasets pull\`.`],
  },
  { input: "dataset file altered (checksum)", args: () => base([], { data: p("bad-data") }), lines: () => [ALTERED_JCS()] },
  {
    input: "malformed dataset line (with --allow-dataset-mismatch)",
    args: () => base(["--allow-dataset-mismatch"], { data: p("bad-data"), tasks: ["--tasks", "xwinograd_ja", "--limit", "2"] }),
    lines: () => [`error: ${p("bad-data", "xwinograd", "jp_test_stability_format.jsonl")}:3: malformed JSON line; re-download the file.`],
  },
  {
    input: "bad files in two tasks: both listed",
    args: () => base([], { data: p("bad-data"), tasks: ["--tasks", "jcs,xwinograd_ja", "--shots", "0", "--limit", "2"] }),
    lines: () => [
      ALTERED_JCS(),
      `error: ${p("bad-data", "xwinograd", "jp_test_stability_format.jsonl")}: sha256 902a1212a656c11d30f4d53f02276dfe526dcd7275e5d0b35ec4b782ede3e9c3 differs from the pinned abc0d2fddc1e754a26543e26fd0d65ae5cece25644e98b040fcdf7e45ffa81f2 (xwinograd_ja test); the file was altered or is another version: re-download it.`,
    ],
  },
  { input: "--tasks \"\" (names no task)", args: () => base([], { tasks: ["--tasks", ""] }), lines: () => [NO_TASK('""')] },
  { input: "--tasks \",\" (names no task)", args: () => base([], { tasks: ["--tasks", ","] }), lines: () => [NO_TASK('","')] },
  {
    input: "the same task twice (an alias and its name)",
    args: () => base([], { tasks: ["--tasks", "jcs,jcommonsenseqa-1.1-0.3"] }),
    lines: () => ['error: --tasks names jcommonsenseqa-1.1-0.3 twice (as "jcs" and "jcommonsenseqa-1.1-0.3"); name each task once.'],
  },
  {
    input: "the same task twice (the mmlu group and one of its subjects)",
    args: () => base([], { tasks: ["--tasks", "mmlu,hendrycksTest-anatomy"] }),
    lines: () => ['error: --tasks names hendrycksTest-anatomy twice (as "mmlu" and "hendrycksTest-anatomy"); name each task once.'],
  },
  {
    input: "--model missing (oclif's reason kept)",
    args: () => base([]).filter((a, i, all) => a !== "--model" && all[i - 1] !== "--model"),
    lines: () => ["error: Missing required flag model; see `rakuten-eval run --help`."],
  },
  {
    input: "--suite with --tasks",
    args: () => base([], { tasks: ["--suite", "ja", "--tasks", "jcs"] }),
    lines: () => ["error: --tasks=jcs cannot also be provided when using --suite; see `rakuten-eval run --help`."],
  },
  { input: "prompts without --task", args: () => ["prompts", "--data-dir", shared], lines: () => ["error: Missing required flag task; see `rakuten-eval prompts --help`."] },
  {
    input: "compare without a run",
    args: () => ["compare", "--baseline", "published:rakutenai-7b"],
    lines: () => ["error: Missing required argument results (The new run: a results file or a run folder); see `rakuten-eval compare --help`."],
  },
  {
    input: "neither --suite nor --tasks, default data folder: refused before any download",
    args: () => base([], { tasks: [] }).filter((a, i, all) => a !== "--data-dir" && all[i - 1] !== "--data-dir"),
    env: PULL_ENV,
    lines: () => ["error: Choose what to run: --suite ja|en|all or --tasks a,b,c."],
  },
  {
    input: "model missing, default data folder: refused before any download",
    args: () => base([], { modelPath: p("nope.gguf") }).filter((a, i, all) => a !== "--data-dir" && all[i - 1] !== "--data-dir"),
    env: PULL_ENV,
    lines: () => [MISSING_MODEL()],
  },
  {
    input: "model path is a directory",
    args: () => base([], { modelPath: p("model-dir.gguf") }),
    lines: () => [`error: Model path is a directory, not a file: ${p("model-dir.gguf")}. Pass the path of a .gguf model file.`],
  },
  {
    input: "model path is a FIFO",
    args: () => base([], { modelPath: p("model-fifo.gguf") }),
    lines: () => [`error: Model path is a FIFO (named pipe), not a file: ${p("model-fifo.gguf")}. Pass the path of a .gguf model file.`],
  },
  {
    input: "a directory and a FIFO where dataset files should be",
    args: () => base([], { data: p("odd-data"), tasks: ["--tasks", "jcs,xwinograd_ja", "--shots", "0", "--limit", "2"] }),
    lines: () => [
      `error: ${p("odd-data", "jcommonsenseqa", "valid-v1.1.json")} is a directory, not a file (jcommonsenseqa validation); replace it with the dataset file.`,
      `error: ${XW("odd-data")} is a FIFO (named pipe), not a file (xwinograd_ja test); replace it with the dataset file.`,
    ],
  },
  {
    input: "empty split (with --allow-dataset-mismatch)",
    args: () => base(["--allow-dataset-mismatch"], { data: p("empty-split"), tasks: ["--tasks", "xwinograd_ja", "--limit", "2"] }),
    lines: () => [`error: ${XW("empty-split")}: no records (xwinograd_ja test, expected 959); the file is empty or cut short: re-download it.`],
  },
  {
    input: "invalid UTF-8 in a dataset file",
    args: () => base([], { data: p("latin-data"), tasks: ["--tasks", "xwinograd_ja", "--limit", "2"] }),
    lines: () => [`error: ${XW("latin-data")}:4: invalid UTF-8 (byte 0xff at offset ${latinOffset}); the file is damaged or in another encoding: re-download it.`],
  },
  {
    input: "compare given a FIFO",
    args: () => ["compare", p("results-fifo.json"), "--baseline", "published:rakutenai-7b"],
    lines: () => [NOT_RESULTS(p("results-fifo.json"), "a FIFO (named pipe)")],
  },
  {
    input: "compare given a folder whose results.json is a directory",
    args: () => ["compare", p("run-dir"), "--baseline", p("results-fifo.json")],
    lines: () => [NOT_RESULTS(p("run-dir", "results.json"), "a directory")],
  },
  { input: "report given a FIFO", args: () => ["report", p("results-fifo.json"), "--output", p("out")], lines: () => [NOT_RESULTS(p("results-fifo.json"), "a FIFO (named pipe)")] },
  {
    input: "several problems at once: all listed",
    args: () => base([], { modelPath: p("nope.gguf"), data: p("no-such-data"), tasks: ["--tasks", "nosuchtask", "--limit", "0", "--shots", "x"] }),
    lines: () => [
      'error: --shots "x" is not a non-negative integer or a comma list of them (e.g. --shots 3 or --shots 3,3,3,2,1,1,0,5).',
      "error: --limit 0 must be a whole number of at least 1 (the first N docs of each task's shuffled order).",
      'error: --tasks: Unknown task "nosuchtask"; run `rakuten-eval tasks` for the list.',
      MISSING_MODEL(),
      `error: Data directory ${p("no-such-data")} (--data-dir) does not exist or is not a folder; pass the folder that holds the datasets (e.g. ../shared/datasets) or fill it with \`rakuten-eval datasets pull\`.`,
    ],
  },
];

test("every bad input of the docs/bad-input.md table: exit code 2 and the documented line(s), nothing else", { skip, timeout: 240_000 }, async () => {
  setUpFiles();
  const outcomes = await Promise.all(
    ROWS.map((row) => limited(() => cli(row.args(), { ...(row.env ? { env: row.env() } : {}), ...(row.before ? { before: row.before() } : {}) }))),
  );
  ROWS.forEach((row, i) => {
    const { code, stderr } = outcomes[i]!;
    assert.equal(code, row.code ?? 2, `${row.input}: exit code\n${stderr}`);
    const got = stderr.split("\n").filter((l) => l !== "");
    const want = row.lines();
    assert.equal(got.length, want.length, `${row.input}: one line per problem, got:\n${stderr}`);
    want.forEach((w, k) => {
      if (typeof w === "string") assert.equal(got[k], w, row.input);
      else assert.match(got[k]!, w, row.input);
    });
  });
  // Refused up front: nothing was written to the output folder, nothing was downloaded.
  assert.deepEqual(readdirSync(p("out")), []);
  assert.equal(existsSync(p("xdg", "rakuten-eval", "datasets")), false);
});

test("invalid UTF-8 with --allow-dataset-mismatch: one warning naming file and line, the run goes on (exit 0) and records it", { skip, timeout: 60_000 }, async () => {
  setUpFiles();
  const out = p("latin-out");
  const { code, stderr } = await cli(base(["-q"], { data: p("latin-data"), tasks: ["--tasks", "xwinograd_ja", "--limit", "2", "--allow-dataset-mismatch"], output: out }));
  assert.equal(code, 0, stderr);
  const warning = `${XW("latin-data")}:4: invalid UTF-8 (byte 0xff at offset ${latinOffset}); read as U+FFFD because of --allow-dataset-mismatch, so the docs it touches are not the dataset's.`;
  assert.deepEqual(stderr.split("\n").filter((l) => l !== ""), [`warning: ${warning}`]);
  const doc = readRunDoc(out);
  assert.ok(doc.rakuten_eval.notes.includes(`xwinograd_ja: ${warning}`), doc.rakuten_eval.notes.join("\n"));
});

test("a corrupt cache database is moved aside with one warning and the run goes on (exit 0)", { skip, timeout: 60_000 }, async () => {
  setUpFiles();
  const dir = p("corrupt-cache");
  const args = [...base(["-q", "--tasks", "xwinograd_ja", "--limit", "1"], { tasks: [] }).filter((a) => a !== "--no-cache"), "--cache-dir", dir];
  const { code, stderr } = await cli(args);
  assert.equal(code, 0, stderr);
  const lines = stderr.split("\n").filter((l) => l !== "");
  assert.equal(lines.length, 1, stderr);
  const file = path.join(dir, "requests.sqlite");
  assert.match(lines[0]!, new RegExp(`^warning: the request cache ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")} is corrupt \\(.+\\); moved it to ${file.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}\\.corrupt-\\S+ and started an empty one\\. Delete the old file once you no longer need it\\.$`));
  assert.ok(readdirSync(dir).some((f) => f.startsWith("requests.sqlite.corrupt-")));
  assert.ok(existsSync(runResultsFile(p("out"))));
});
