// The one gate for tests that need the shared test data (../shared beside the repository:
// datasets, small real models, tokenizers). Without it a test skips, with a message naming what
// is missing, so that a checkout without the data still passes. With CI set, missing data fails
// instead: CI provides ../shared (.ci/run), and a CI that lost it must not pass green with half
// its tests skipped.

import { existsSync } from "node:fs";
import path from "node:path";

/** Whether CI is set (as the progress display reads it: set, and not "", "0" or "false"). */
export function underCi(env: NodeJS.ProcessEnv = process.env): boolean {
  const value = env["CI"];
  return value !== undefined && !["", "0", "false"].includes(value.toLowerCase());
}

/**
 * The skip reason of a test that needs `paths` (files or folders of the shared data): false when
 * every one exists, else "<the missing ones, relative to the working directory> absent". Under CI
 * a missing one throws instead, which fails the test file with that message.
 */
export function sharedSkip(...paths: string[]): string | false {
  const missing = paths.filter((p) => !existsSync(p)).map((p) => path.relative(process.cwd(), path.resolve(p)) || ".");
  if (missing.length === 0) return false;
  const what = `${missing.join(", ")} absent`;
  if (underCi()) {
    throw new Error(`CI is set, so missing shared test data fails instead of skipping: ${what}. Put the shared data beside the repository (../shared), as .ci/run expects.`);
  }
  return what;
}
