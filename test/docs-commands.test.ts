// Every rakuten-eval command written in README.md and docs/*.md, in a sh or yaml block: split into
// words by bash (with the CLI replaced by a function that prints its arguments) and parsed by
// oclif's own parser with the command's real flag and argument definitions, so a renamed or removed
// flag, a misspelt command or a missing required flag in the docs fails here. The set-up and test
// commands (npm install, npm run build, npm test) are what .ci/run runs; the scripts named in
// package.json are checked to exist.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Parser } from "@oclif/core";
import { BaseCommand } from "../src/commands/baseCommand.js";
import Run from "../src/commands/run.js";
import Compare from "../src/commands/compare.js";
import Report from "../src/commands/report.js";
import Merge from "../src/commands/merge.js";
import Rescore from "../src/commands/rescore.js";
import Tasks from "../src/commands/tasks.js";
import Prompts from "../src/commands/prompts.js";
import Parity from "../src/commands/parity.js";
import Tokenize from "../src/commands/tokenize.js";
import TokenizerCheck from "../src/commands/tokenizer-check.js";
import CacheStats from "../src/commands/cache/stats.js";
import CacheClear from "../src/commands/cache/clear.js";
import DatasetsPull from "../src/commands/datasets/pull.js";
import DatasetsList from "../src/commands/datasets/list.js";
import DatasetsVerify from "../src/commands/datasets/verify.js";

const root = process.cwd();
const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-docs-commands-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const COMMANDS: Record<string, unknown> = {
  run: Run,
  compare: Compare,
  report: Report,
  merge: Merge,
  rescore: Rescore,
  tasks: Tasks,
  prompts: Prompts,
  parity: Parity,
  tokenize: Tokenize,
  "tokenizer-check": TokenizerCheck,
  "cache stats": CacheStats,
  "cache clear": CacheClear,
  "datasets pull": DatasetsPull,
  "datasets list": DatasetsList,
  "datasets verify": DatasetsVerify,
};

const CLI = /(^|[\s;&|(])(rakuten-eval|\.\/bin\/run\.js)(?=\s)/;

interface Written {
  file: string;
  line: string;
}

/** Command lines of the fenced blocks of a Markdown file that call the CLI (continuations joined). */
function cliLines(file: string): Written[] {
  const text = readFileSync(file, "utf8");
  const out: Written[] = [];
  // Shell and YAML blocks; plain ``` blocks are diagrams and file trees.
  for (const block of text.matchAll(/^```(?:sh|bash|shell|yaml|yml)\n([\s\S]*?)^```/gm)) {
    for (const raw of block[1]!.replace(/\\\n/g, " ").split("\n")) {
      // A YAML step (`- run: rakuten-eval …`, `run: |` bodies) or a shell line; a GitHub expression is a word.
      const line = raw.replace(/^\s*(-\s+)?(run:\s*)?/, "").replace(/\$\{\{[^}]*\}\}/g, "X");
      if (CLI.test(line) && !/^\s*#/.test(line)) out.push({ file: path.relative(root, file), line });
    }
  }
  return out;
}

/** The words bash makes of a line, per CLI call in it (the CLI replaced by a function that prints them). */
function cliCalls(line: string): string[][] {
  const body = line.replace(new RegExp(CLI.source, "g"), "$1__cli");
  const r = spawnSync("bash", ["-c", `exec 3>&1 >/dev/null\n__cli() { printf '%s\\0' "$@" >&3; printf '\\1\\0' >&3; }\n${body}`], {
    cwd: scratch,
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", JOB_COMPLETION_INDEX: "0" },
  });
  const calls: string[][] = [];
  let current: string[] = [];
  for (const part of r.stdout.split("\0").slice(0, -1)) {
    if (part === "\u0001") {
      calls.push(current);
      current = [];
    } else current.push(part);
  }
  return calls;
}

const docFiles = (): string[] => [path.join(root, "README.md"), ...readdirSync(path.join(root, "docs")).filter((f) => f.endsWith(".md")).map((f) => path.join(root, "docs", f))];

test("every rakuten-eval command in README.md and docs/*.md names a real command and parses with its real flags", async () => {
  const written = docFiles().flatMap(cliLines);
  // The README alone shows run, compare, report and merge; the docs many more.
  assert.ok(written.length >= 25, `only ${written.length} command lines found`);
  const seen = new Set<string>();
  const problems: string[] = [];
  for (const w of written) {
    const calls = cliCalls(w.line);
    if (calls.length === 0) problems.push(`${w.file}: bash could not read: ${w.line}`);
    for (const words of calls) {
      const two = words.slice(0, 2).join(" ");
      const name = two in COMMANDS ? two : words[0]!;
      const cmd = COMMANDS[name] as { flags?: Record<string, unknown>; args?: Record<string, unknown>; strict?: boolean } | undefined;
      if (cmd === undefined) {
        problems.push(`${w.file}: unknown command "${name}": ${w.line}`);
        continue;
      }
      seen.add(name);
      const argv = words.slice(name.split(" ").length);
      if (argv.includes("--help")) continue;
      type ParseInput = Parameters<typeof Parser.parse>[1];
      try {
        await Parser.parse(argv, {
          flags: { ...BaseCommand.baseFlags, ...(cmd.flags as NonNullable<ParseInput["flags"]>) },
          args: (cmd.args ?? {}) as ParseInput["args"],
          strict: cmd.strict ?? true,
        });
      } catch (e) {
        problems.push(`${w.file}: ${(e as Error).message.split("\n")[0]}: ${w.line.trim()}`);
      }
    }
  }
  assert.deepEqual(problems, []);
  for (const name of ["run", "compare", "report", "merge", "rescore", "tokenize"]) assert.ok(seen.has(name), `no ${name} command in the docs`);
});

test("the README's set-up and test commands are the ones package.json and .ci/run provide", () => {
  const readme = readFileSync(path.join(root, "README.md"), "utf8");
  const pkg = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { scripts: Record<string, string> };
  const ci = readFileSync(path.join(root, ".ci/run"), "utf8");
  const setup = /## Set-up\n\n```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? "";
  assert.equal(setup.trim().split("\n").length, 2, "the set-up is two lines");
  assert.match(setup, /^npm install --omit=optional && npm run build$/m);
  assert.ok(pkg.scripts.build, "package.json has no build script");
  // Every Debian package the set-up names is one .ci/run installs.
  const packages = /apt-get install -y ([^#\n]*)/.exec(setup)?.[1]?.trim().split(/\s+/) ?? [];
  assert.deepEqual(packages.sort(), ["chromium", "fonts-noto-cjk", "python3-sentencepiece"]);
  for (const p of packages) assert.match(ci, new RegExp(`apt-get install -y [^\\n]*\\b${p}\\b`), `.ci/run does not install ${p}`);
  // The test command, and the one-file command, exactly as written.
  assert.match(readme, /## Tests\n\n```sh\nnpm test\n```/);
  assert.match(ci, /^npm test$/m);
  assert.match(readme, /npx tsc -p tsconfig\.json && node --test dist\/test\/[a-z-]+\.test\.js/);
  for (const m of readme.matchAll(/node --test dist\/test\/([a-z-]+)\.test\.js/g)) assert.ok(readdirSync(path.join(root, "test")).includes(`${m[1]}.test.ts`), `${m[1]}.test.ts`);
});
