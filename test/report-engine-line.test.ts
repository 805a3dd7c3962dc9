// The report's engine line names the CPU kernels a run used (they move log-likelihoods in their
// last bits), and says nothing of them for runs that did not record any (older results files).
import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { runScores } from "../src/results/read.js";
import { buildReportModel } from "../src/report/model.js";
import { bits, tempDir, writeRun } from "./support/compareFixtures.js";

const task = { key: "jnli", task: "jnli-1.1-0.3", metric: "acc", score: 50, n: 20, samples: bits(20, 10) };

test("the engine line names the CPU kernels when the run recorded them", () => {
  const root = tempDir("engine-line");
  const withVariant = runScores(writeRun(path.join(root, "a"), { modelPath: "/m/a.gguf", tasks: [task], engine: { cpuVariant: "zen4" } }));
  const without = runScores(writeRun(path.join(root, "b"), { modelPath: "/m/a.gguf", tasks: [task] }));
  const model = buildReportModel([withVariant, without], [], "2026-12-07T00:00:00Z");
  assert.equal(model.runs[0]!.engine, "llama.cpp test, CPU kernels zen4");
  assert.equal(model.runs[1]!.engine, "llama.cpp test");
});
