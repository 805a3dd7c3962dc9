// The command layer's one-line messages for errors the CLI tests cannot provoke on demand:
// a full quota, a full disk whose error names no file, and oclif messages with several reasons.
import { test } from "node:test";
import assert from "node:assert/strict";
import { describeError, oclifReasons } from "../src/commands/baseCommand.js";

function errno(code: string, fields: Record<string, unknown> = {}): Error {
  return Object.assign(new Error(`${code}: something, write`), { code, ...fields });
}

test("ENOSPC/EDQUOT: one line naming the path and the fix, exit 2", () => {
  const kept = "Finished answers are kept in the request cache.";
  assert.deepEqual(describeError(errno("ENOSPC", { path: "/o/results.json" }), { command: "run", kept }), {
    lines: ["error: No space left on device writing /o/results.json; free space or pass --output on another disk. Finished answers are kept in the request cache."],
    exitCode: 2,
  });
  assert.deepEqual(describeError(errno("EDQUOT", { path: "/o/x.jsonl" }), { command: "run", kept: "Nothing was kept for a resume (--no-cache)." }).lines, [
    "error: Disk quota exceeded writing /o/x.jsonl; free space or pass --output on another disk. Nothing was kept for a resume (--no-cache).",
  ]);
  // A rename names its destination; an error without any path still gets the fix.
  assert.deepEqual(describeError(errno("ENOSPC", { dest: "/o/final" }), { command: "report" }).lines, ["error: No space left on device writing /o/final; free space or pass --output on another disk."]);
  assert.deepEqual(describeError(errno("ENOSPC"), { command: "run" }).lines, ["error: No space left on device writing the outputs; free space or pass --output on another disk."]);
  // Anything else stays an unexpected failure (exit 1).
  assert.deepEqual(describeError(errno("EIO", { path: "/o/x" }), { command: "run" }), { lines: ["error: EIO: something, write (rerun with --debug for the stack trace)"], exitCode: 1 });
});

test("oclif parse errors keep their reasons, one line each, with the help hint", () => {
  const several = Object.assign(new Error("The following errors occurred:\n  \u001b[2m--tasks=jcs cannot also be provided when using --suite\n  Missing required flag model\u001b[22m\nSee more help with --help"), { oclif: { exit: 2 } });
  assert.deepEqual(describeError(several, { command: "run" }), {
    lines: ["error: --tasks=jcs cannot also be provided when using --suite; see `rakuten-eval run --help`.", "error: Missing required flag model; see `rakuten-eval run --help`."],
    exitCode: 2,
  });
  assert.deepEqual(
    oclifReasons("Missing 2 required args:\nresults   The new run.\nother     Another one.\n\nNote: --max-drop-task allows multiple values.\nSee more help with --help"),
    ["Missing required argument results (The new run)", "Missing required argument other (Another one)"],
  );
  const topic = Object.assign(new Error("Expected --suite=xx to be one of: ja, en, all\nSee more help with --help"), { oclif: { exit: 2 } });
  assert.deepEqual(describeError(topic, { command: "datasets:pull" }).lines, ["error: Expected --suite=xx to be one of: ja, en, all; see `rakuten-eval datasets pull --help`."]);
});
