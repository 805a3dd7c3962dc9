// `run --help` as a newcomer reads it: what every run needs first, under FLAGS; the inference
// server's flags (only --backend openai uses them) under their own heading, after the others.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";

const root = process.cwd();

/** The help text's sections: heading -> the flag names listed under it, in order. */
function helpSections(args: string[]): { headings: string[]; flags: Map<string, string[]> } {
  const r = spawnSync(process.execPath, ["bin/run.js", ...args], { cwd: root, encoding: "utf8", env: { ...process.env, COLUMNS: "80" } });
  assert.equal(r.status, 0, r.stderr);
  const headings: string[] = [];
  const flags = new Map<string, string[]>();
  let current = "";
  for (const line of r.stdout.split("\n")) {
    if (/^[A-Z][A-Z0-9 .,()\-]*$/.test(line)) {
      current = line;
      headings.push(line);
      flags.set(line, []);
      continue;
    }
    // A flag's first line: "  -m, --model=<value>  ...", "      --suite=<value>  ...", "  --[no-]cache"
    // (then its description below); not a description line that starts with "--backend openai: ".
    const m = /^ {2}(?:-\w, | {4})?--(?:\[no-\])?([a-z][a-z-]*)(?:=<\w+>(?:\.\.\.)?)?(?: {2,}|$)/.exec(line);
    if (m && current.endsWith("FLAGS")) flags.get(current)!.push(m[1]!);
  }
  return { headings, flags };
}

const REMOTE = ["backend", "base-url", "served-model", "api-key-env", "concurrency", "timeout", "server", "tokenizer"];
const CORE = ["model", "suite", "tasks", "shots", "limit", "data-dir", "output"];

test("run --help: the core flags first under FLAGS, the inference server's under their own heading after them", () => {
  const { headings, flags } = helpSections(["run", "--help"]);
  const flagHeadings = headings.filter((h) => h.endsWith("FLAGS"));
  assert.equal(flagHeadings[0], "FLAGS", `sections: ${headings.join(" | ")}`);
  // The core flags, in the order a first run needs them.
  assert.deepEqual(flags.get("FLAGS")!.slice(0, CORE.length), CORE);
  const remoteHeading = flagHeadings.find((h) => flags.get(h)!.includes("base-url"));
  assert.ok(remoteHeading !== undefined && remoteHeading !== "FLAGS", `--base-url is under ${remoteHeading}`);
  assert.match(remoteHeading, /SERVER/);
  assert.deepEqual([...flags.get(remoteHeading)!].sort(), [...REMOTE].sort());
  // It is the last group of run's own flags (oclif's --debug group aside), after the core ones.
  const ownGroups = flagHeadings.filter((h) => h !== "GLOBAL FLAGS");
  assert.equal(ownGroups.at(-1), remoteHeading, `groups: ${ownGroups.join(" | ")}`);
  // Every flag is listed once, in one section.
  const all = [...flags.values()].flat();
  assert.equal(new Set(all).size, all.length, `listed twice: ${all.filter((f, i) => all.indexOf(f) !== i).join(", ")}`);
  for (const f of [...CORE, ...REMOTE, "threads", "cache-dir", "apply-chat-template", "shard", "debug"]) assert.ok(all.includes(f), `--${f} missing`);
});
