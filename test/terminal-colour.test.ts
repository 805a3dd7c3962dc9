// Colour follows the conventions: NO_COLOR wins, FORCE_COLOR colours a pipe, otherwise only a
// TTY (not TERM=dumb) gets it. Checked on the rule and end to end through `compare`.

import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { colourEnabled } from "../src/terminal/colour.js";
import { bits, tempDir, writeRun } from "./support/compareFixtures.js";

test("colourEnabled: NO_COLOR, FORCE_COLOR, TTY and TERM=dumb", () => {
  assert.equal(colourEnabled({ isTTY: true }, {}), true);
  assert.equal(colourEnabled({ isTTY: false }, {}), false);
  assert.equal(colourEnabled({ isTTY: true }, { TERM: "dumb" }), false);
  assert.equal(colourEnabled({ isTTY: true }, { NO_COLOR: "1" }), false);
  assert.equal(colourEnabled({ isTTY: true }, { NO_COLOR: "" }), true); // no-color.org: an empty value does not count
  assert.equal(colourEnabled({ isTTY: false }, { FORCE_COLOR: "1" }), true);
  assert.equal(colourEnabled({ isTTY: true }, { FORCE_COLOR: "0" }), false);
  assert.equal(colourEnabled({ isTTY: false }, { FORCE_COLOR: "1", NO_COLOR: "1" }), false);
  assert.equal(colourEnabled({ isTTY: false }, { CI: "true" }), false);
});

const bin = path.resolve(process.cwd(), "bin/run.js");

function compare(env: Record<string, string>): { status: number | null; stdout: string } {
  // JNLI, n = 100: the baseline right on docs 0..59, the new run on 0..39: a significant drop of 20 points.
  const root = tempDir("colour");
  const jnli = (ones: number) => ({ key: "jnli", task: "jnli-1.1-0.3", metric: "acc", score: ones, n: 100, samples: bits(100, ones) });
  const base = writeRun(path.join(root, "base"), { modelPath: "/m/base.gguf", tasks: [jnli(60)] });
  const next = writeRun(path.join(root, "new"), { modelPath: "/m/new.gguf", tasks: [jnli(40)] });
  const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !["NO_COLOR", "FORCE_COLOR"].includes(k)));
  const r = spawnSync(process.execPath, [bin, "compare", next, "--baseline", base, "--max-drop", "1"], { encoding: "utf8", env: { ...clean, ...env }, timeout: 60_000 });
  return { status: r.status, stdout: r.stdout };
}

test("compare in a pipe: plain by default and with NO_COLOR; FORCE_COLOR=1 colours the drop red and FAIL bold red", () => {
  const plain = compare({});
  assert.equal(plain.status, 1);
  assert.match(plain.stdout, /Gate FAILED/);
  assert.doesNotMatch(plain.stdout, /\u001b\[/);
  const noColour = compare({ NO_COLOR: "1", FORCE_COLOR: "1" });
  assert.doesNotMatch(noColour.stdout, /\u001b\[/);
  const forced = compare({ FORCE_COLOR: "1" });
  assert.equal(forced.status, 1);
  assert.match(forced.stdout, /\u001b\[31m−20\.00\u001b\[39m/); // the significant drop in red
  assert.match(forced.stdout, /\u001b\[1m\u001b\[31mFAIL\u001b\[39m\u001b\[22m/); // the gate cell
  assert.match(forced.stdout, /\u001b\[1m\u001b\[31mGate FAILED/);
});
