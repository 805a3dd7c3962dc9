// `tasks` fits the terminal: at 80 columns (COLUMNS, as in a pipe) no line is wider than 80 and
// every task is there with all its fields (one block per task); at 200 a boxed table no wider
// than 200; --json is the same whatever the width.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import stringWidth from "string-width";
import { renderTaskList, type TaskListRow } from "../src/report/taskList.js";

const root = process.cwd();

function tasks(columns: number, ...args: string[]): string {
  const r = spawnSync(process.execPath, ["bin/run.js", "tasks", ...args], { cwd: root, encoding: "utf8", env: { ...process.env, COLUMNS: String(columns) } });
  assert.equal(r.status, 0, r.stderr);
  return r.stdout;
}

interface JsonRow {
  name: string;
  aliases: string[];
  suite: string;
  version: string;
  metric: string;
  defaultShots: number;
  fewshotSource: string;
  data: string;
}

/** The text with line breaks and the indents after them folded back into single spaces. */
const unwrap = (text: string) => text.replace(/\s*\n\s*/g, " ");

test("tasks at 80 and 200 columns: no line wider than the terminal, every task and field shown; --json the same at any width", () => {
  const json80 = tasks(80, "--json");
  assert.equal(tasks(200, "--json"), json80);
  const rows = JSON.parse(json80) as JsonRow[];
  assert.ok(rows.length >= 15, `the catalogue lists ${rows.length} tasks`);

  for (const width of [80, 200]) {
    const out = tasks(width);
    const lines = out.trimEnd().split("\n");
    const widest = Math.max(...lines.map((l) => stringWidth(l)));
    assert.ok(widest <= width, `${width} columns: a line is ${widest} wide:\n${lines.find((l) => stringWidth(l) === widest)}`);
    // Every field of every task can be read back (the wrapped prose once unwrapped).
    const flat = unwrap(out.replace(/[│┌┐└┘├┤┬┴┼─]/g, " ")).replace(/ +/g, " ");
    for (const r of rows) {
      assert.ok(out.includes(r.name), `${width}: ${r.name} listed`);
      if (width === 80) {
        assert.ok(flat.includes(r.fewshotSource), `${width}: ${r.name}'s few-shot source shown whole`);
        assert.ok(flat.includes(`data: ${r.data}`), `${width}: ${r.name}'s data status`);
        assert.ok(flat.includes(`${r.suite} · v${r.version} · ${r.metric} · ${r.defaultShots}-shot`), `${width}: ${r.name}'s fields`);
      }
    }
    if (width === 200) assert.match(lines[1]!, /^│ Task +│ Aliases +│ Suite │ Version │ Metric +│ Shots │ Few-shot source +│ Data +│$/);
    else assert.ok(!out.includes("│"), "no box at 80 columns");
  }
});

test("renderTaskList: a boxed table only where the prose columns get at least 24 and 16 cells; stacked below", () => {
  const row: TaskListRow = { name: "t", aliases: ["a"], suite: "ja", version: "1.0", metric: "acc", defaultShots: 3, fewshotSource: "word ".repeat(30).trim(), data: "eval present, shots present" };
  // Short columns: Task 4, Aliases 7, Suite 5, Version 7, Metric 6, Shots 5 (the headers) + 2 padding each = 46;
  // 9 borders; prose columns 24 + 16 + 2 × 2 padding = 44: 99 columns in all.
  assert.ok(renderTaskList([row], 99).startsWith("┌"), "boxed at 99");
  assert.ok(!renderTaskList([row], 98).includes("│"), "stacked at 98");
  for (const width of [40, 98, 99, 150]) {
    for (const line of renderTaskList([row], width).split("\n")) assert.ok(stringWidth(line) <= width, `${width}: ${line}`);
  }
});
