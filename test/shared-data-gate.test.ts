// The shared-data gate (test/support/sharedData.ts): a test whose ../shared data is missing
// skips with the missing paths named, and fails instead when CI is set.
import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { sharedSkip, underCi } from "./support/sharedData.js";

/** Runs `work` with CI set to `value` (unset when undefined), then puts the variable back. */
function withCi<T>(value: string | undefined, work: () => T): T {
  const before = process.env["CI"];
  if (value === undefined) delete process.env["CI"];
  else process.env["CI"] = value;
  try {
    return work();
  } finally {
    if (before === undefined) delete process.env["CI"];
    else process.env["CI"] = before;
  }
}

test("CI counts as set unless it is empty, 0 or false (any case)", () => {
  assert.equal(underCi({}), false);
  for (const value of ["", "0", "false", "FALSE"]) assert.equal(underCi({ CI: value }), false, value);
  for (const value of ["true", "1", "yes", "True"]) assert.equal(underCi({ CI: value }), true, value);
});

test("present data: no skip, with or without CI; missing data: a skip naming only what is missing, a failure under CI", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "shared-gate-"));
  try {
    const present = path.join(dir, "model.gguf");
    writeFileSync(present, "x");
    const missing = path.join(dir, "datasets");
    const shown = path.relative(process.cwd(), missing);
    assert.equal(withCi(undefined, () => sharedSkip(present, dir)), false);
    assert.equal(withCi("true", () => sharedSkip(present, dir)), false);
    assert.equal(withCi(undefined, () => sharedSkip(present, missing)), `${shown} absent`);
    assert.equal(withCi("false", () => sharedSkip(missing, present, `${missing}2`)), `${shown}, ${shown}2 absent`);
    assert.throws(
      () => withCi("true", () => sharedSkip(present, missing)),
      (error: unknown) => error instanceof Error && error.message === `CI is set, so missing shared test data fails instead of skipping: ${shown} absent. Put the shared data beside the repository (../shared), as .ci/run expects.`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
