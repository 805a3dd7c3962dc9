// The CI examples of docs/examples/ are parsed, and their rakuten-eval invocations are run through
// a shell (with the CLI replaced by a function that prints its arguments) and then through oclif's
// own parser with the commands' real flag definitions, so an example with a flag that does not
// exist, a --shard that does not cover 1..N, or a merge that does not read what the shards write
// fails here. The GitHub Actions matrix is expanded (`matrix.shard`, `strategy.job-total`); the
// Kubernetes Indexed Job's script is run for each JOB_COMPLETION_INDEX.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Parser } from "@oclif/core";
import { parse as parseYaml, parseAllDocuments } from "yaml";
import Run from "../src/commands/run.js";
import Merge from "../src/commands/merge.js";
import Compare from "../src/commands/compare.js";
import DatasetsPull from "../src/commands/datasets/pull.js";
import { BaseCommand } from "../src/commands/baseCommand.js";
import { parseShardFlag } from "../src/shard/shard.js";

const root = process.cwd();
const examples = path.join(root, "docs/examples");
const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-docs-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const COMMANDS = { run: Run, merge: Merge, compare: Compare, "datasets pull": DatasetsPull } as const;
type CommandName = keyof typeof COMMANDS;

interface Invocation {
  command: CommandName;
  argv: string[];
}

/**
 * The rakuten-eval invocations a shell script makes: the script is run by bash in an empty
 * folder with `rakuten-eval` / `./bin/run.js` replaced by a function that prints its arguments
 * (to fd 3, so that a redirect in the script, `> gate.md`, does not swallow them).
 */
function invocations(script: string, env: Record<string, string> = {}): Invocation[] {
  const lines = script.replace(/\\\n/g, " ").split("\n").filter((l) => /(^|\s)(rakuten-eval|\.\/bin\/run\.js)\s/.test(l));
  if (lines.length === 0) return [];
  const body = lines.map((l) => l.replace(/(^|\s)(rakuten-eval|\.\/bin\/run\.js)(?=\s)/g, "$1__cli")).join("\n");
  const r = spawnSync("bash", ["-c", `exec 3>&1\n__cli() { printf '%s\\0' "$@" >&3; printf '\\1\\0' >&3; }\n${body}`], { cwd: scratch, encoding: "utf8", env: { PATH: process.env.PATH ?? "", ...env } });
  assert.equal(r.status, 0, r.stderr);
  const out: Invocation[] = [];
  let current: string[] = [];
  for (const part of r.stdout.split("\0").slice(0, -1)) {
    if (part === "\u0001") {
      // A topic's command is its two words (`datasets pull`).
      const words = current[0] === "datasets" ? 2 : 1;
      const command = current.slice(0, words).join(" ");
      const argv = current.slice(words);
      assert.ok(command in COMMANDS, `unknown command ${command}`);
      out.push({ command: command as CommandName, argv });
      current = [];
    } else current.push(part);
  }
  return out;
}

/** Parsed with the command's own flag and argument definitions (an unknown flag throws). */
async function parsed(inv: Invocation): Promise<{ flags: Record<string, unknown>; argv: string[] }> {
  type ParseInput = Parameters<typeof Parser.parse>[1];
  const cmd = COMMANDS[inv.command] as unknown as { flags: NonNullable<ParseInput["flags"]>; args?: ParseInput["args"]; strict?: boolean };
  const result = await Parser.parse(inv.argv, { flags: { ...BaseCommand.baseFlags, ...cmd.flags }, args: cmd.args ?? {}, strict: cmd.strict ?? true });
  return { flags: result.flags as Record<string, unknown>, argv: result.argv.map(String) };
}

function shardOf(flags: Record<string, unknown>): { index: number; count: number } {
  const { shard, problem } = parseShardFlag(String(flags.shard));
  assert.equal(problem, undefined, String(flags.shard));
  return shard!;
}

interface Step {
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
}
interface Job {
  needs?: string | string[];
  strategy?: { matrix?: Record<string, unknown[]> };
  steps: Step[];
}

test("GitHub Actions: a matrix over shards 1..N, a merge job after them, and the compare gate", async () => {
  const workflow = parseYaml(readFileSync(path.join(examples, "github-actions-shards.yaml"), "utf8")) as { jobs: Record<string, Job> };
  const shardJob = workflow.jobs.shard!;
  const mergeJob = workflow.jobs.merge!;
  const matrix = shardJob.strategy!.matrix!.shard as number[];
  const total = matrix.length;
  assert.ok(total >= 2);
  const outputs: string[] = [];
  const covered: number[] = [];
  for (const value of matrix) {
    const expand = (s: string) => s.replace(/\$\{\{\s*matrix\.shard\s*\}\}/g, String(value)).replace(/\$\{\{\s*strategy\.job-total\s*\}\}/g, String(total));
    const all = shardJob.steps.filter((s) => s.run).flatMap((s) => invocations(expand(s.run!)));
    for (const inv of all) await parsed(inv);
    const runs = all.filter((i) => i.command === "run");
    assert.equal(runs.length, 1, "one rakuten-eval run per shard job");
    const { flags } = await parsed(runs[0]!);
    const shard = shardOf(flags);
    assert.equal(shard.count, total);
    covered.push(shard.index);
    outputs.push(String(flags.output));
    // What the shard writes is what it uploads.
    const upload = shardJob.steps.find((s) => s.uses?.startsWith("actions/upload-artifact"))!;
    assert.equal(path.normalize(expand(String(upload.with!.path))), path.normalize(String(flags.output)) + path.sep);
    assert.doesNotMatch(expand(String(upload.with!.name)), /\$\{\{/);
  }
  assert.deepEqual(covered.sort((a, b) => a - b), Array.from({ length: total }, (_, i) => i + 1), "--shard covers 1..N once each");
  assert.equal(new Set(outputs).size, total, "every shard writes its own folder");

  const needs = Array.isArray(mergeJob.needs) ? mergeJob.needs : [mergeJob.needs];
  assert.ok(needs.includes("shard"), "the merge job waits for the shard jobs");
  const download = mergeJob.steps.find((s) => s.uses?.startsWith("actions/download-artifact"))!;
  assert.equal(download.with!.pattern, "shard-*");
  const later = mergeJob.steps.filter((s) => s.run).flatMap((s) => invocations(s.run!));
  const merge = later.find((i) => i.command === "merge")!;
  const compare = later.find((i) => i.command === "compare")!;
  assert.ok(merge && compare, "a merge and a compare gate");
  for (const inv of later) await parsed(inv);
  const m = await parsed(merge);
  assert.deepEqual(m.argv, [`${String(download.with!.path)}/*`], "merge reads every downloaded shard");
  const c = await parsed(compare);
  assert.equal(c.argv[0], m.flags.output, "compare gates the merged results");
  assert.equal(typeof c.flags.baseline, "string");
});

interface K8sJob {
  kind: string;
  metadata: { name: string };
  spec: {
    completionMode?: string;
    completions?: number;
    parallelism?: number;
    template: { spec: { containers: { workingDir?: string; command: string[]; args: string[]; volumeMounts: { name: string; mountPath: string }[] }[]; volumes: { name: string; persistentVolumeClaim?: { claimName: string } }[] } };
  };
}

function script(job: K8sJob): string {
  const c = job.spec.template.spec.containers[0]!;
  assert.deepEqual(c.command, ["/bin/sh", "-c"]);
  return c.args[0]!;
}

test("Kubernetes: an Indexed Job maps JOB_COMPLETION_INDEX 0..N-1 to --shard 1..N, and a merge Job reads its folders", async () => {
  const shardText = readFileSync(path.join(examples, "k8s-indexed-job.yaml"), "utf8");
  const docs = parseAllDocuments(shardText).map((d) => d.toJS() as K8sJob);
  const indexed = docs.find((d) => d.kind === "Job")!;
  assert.equal(indexed.spec.completionMode, "Indexed");
  const n = indexed.spec.completions!;
  assert.ok(n >= 2 && indexed.spec.parallelism! <= n);
  const covered: number[] = [];
  const outputs = new Set<string>();
  const caches = new Set<string>();
  for (let k = 0; k < n; k++) {
    const runs = invocations(script(indexed), { JOB_COMPLETION_INDEX: String(k) });
    assert.equal(runs.length, 1);
    const { flags } = await parsed(runs[0]!);
    const shard = shardOf(flags);
    assert.equal(shard.count, n);
    assert.equal(shard.index, k + 1, "1-based --shard from the 0-based index");
    covered.push(shard.index);
    outputs.add(String(flags.output));
    caches.add(String(flags["cache-dir"]));
  }
  assert.equal(covered.length, n);
  assert.equal(outputs.size, n, "every shard writes its own folder");
  assert.equal(caches.size, n, "one request cache per shard (SQLite is not shared across pods)");
  const shardParents = new Set([...outputs].map((o) => path.dirname(o)));
  assert.equal(shardParents.size, 1);
  // The merge Job is applied after `kubectl wait` on the Indexed Job, as the file says.
  assert.match(shardText, new RegExp(`kubectl wait --for=condition=complete [^\\n]*job/${indexed.metadata.name}\\b`));

  const mergeJob = parseYaml(readFileSync(path.join(examples, "k8s-merge-job.yaml"), "utf8")) as K8sJob;
  const later = invocations(script(mergeJob));
  const merge = later.find((i) => i.command === "merge")!;
  const compare = later.find((i) => i.command === "compare")!;
  const m = await parsed(merge);
  assert.deepEqual(m.argv, [`${[...shardParents][0]}/*`], "merge reads every shard's folder");
  const c = await parsed(compare);
  assert.equal(c.argv[0], m.flags.output);
  // Both Jobs mount the same claim where their paths lead (relative paths from the working folder).
  const claimAt = (job: K8sJob, file: string) => {
    const c0 = job.spec.template.spec.containers[0]!;
    const mount = path.posix.resolve(c0.workingDir ?? "/", file);
    const vm = c0.volumeMounts.find((v) => mount.startsWith(v.mountPath + "/"));
    assert.ok(vm, `${file} (from ${c0.workingDir ?? "/"}) is on no mounted volume`);
    return job.spec.template.spec.volumes.find((v) => v.name === vm.name)!.persistentVolumeClaim!.claimName;
  };
  assert.equal(claimAt(mergeJob, String(m.flags.output)), claimAt(indexed, [...outputs][0]!));
  assert.equal(claimAt(mergeJob, `${[...shardParents][0]}/1`), claimAt(indexed, [...outputs][0]!), "merge reads the shards' volume");
  assert.equal(
    path.posix.resolve(mergeJob.spec.template.spec.containers[0]!.workingDir ?? "/", [...shardParents][0]!),
    path.posix.resolve(indexed.spec.template.spec.containers[0]!.workingDir ?? "/", [...shardParents][0]!),
    "the shards' folder is the same path in both Jobs",
  );
});
