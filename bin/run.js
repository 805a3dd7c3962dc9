#!/usr/bin/env node
import { flush, run } from "@oclif/core";

// oclif's execute(), with errors raised outside a command (an unknown command) printed as the
// commands print theirs: one `error:` line, exit 2 (dist/src/commands/baseCommand.js).
try {
  await run(process.argv.slice(2), import.meta.url);
  await flush();
} catch (err) {
  const { handleTopLevelError } = await import("../dist/src/commands/baseCommand.js");
  await handleTopLevelError(err, import.meta.url);
}
