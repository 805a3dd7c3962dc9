// Provenance before statistics: what differs between the two runs' records, and whether a
// difference in scores is expected (another model file) or suspicious (same file and settings).

import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { compareRuns } from "../src/compare/compare.js";
import { DEFAULT_COMPARE_OPTIONS } from "../src/compare/comparisonTypes.js";
import { runScores } from "../src/results/read.js";
import { renderComparisonMarkdown, renderComparisonTable } from "../src/report/comparison.js";
import { bits, tempDir, writeRun, type FixtureRun, type FixtureTask } from "./support/compareFixtures.js";

const opts = { ...DEFAULT_COMPARE_OPTIONS, bootstrapIterations: 200 };
const jnli = (ones: number): FixtureTask => ({ key: "jnli", task: "jnli-1.1-0.3", metric: "acc", score: ones * 5, n: 20, samples: bits(20, ones) });

function compare(base: Partial<FixtureRun>, next: Partial<FixtureRun>) {
  const root = tempDir("prov");
  const b = writeRun(path.join(root, "b"), { modelPath: "/m/a.gguf", tasks: [jnli(10)], ...base });
  const n = writeRun(path.join(root, "n"), { modelPath: "/m/a.gguf", tasks: [jnli(10)], ...next });
  return compareRuns(runScores(n), runScores(b), opts);
}

test("same model file and settings, same numbers: identical; nothing listed as differing", () => {
  const c = compare({}, {});
  assert.equal(c.provenance?.assessment, "identical");
  assert.equal(c.provenance?.rows.filter((r) => r.differs).length, 0);
});

test("same model file and settings, different numbers: suspicious, said before the table", () => {
  const c = compare({}, { tasks: [jnli(8)] });
  assert.equal(c.provenance?.assessment, "suspicious");
  const table = renderComparisonTable(c);
  const at = table.indexOf("provenance: SUSPICIOUS");
  assert.ok(at > 0 && at < table.indexOf("┌"), table);
});

test("different model sha256: expected, with the differing rows", () => {
  const c = compare({}, { modelSha256: "1".repeat(64), modelPath: "/m/b.gguf", tasks: [jnli(8)] });
  assert.equal(c.provenance?.assessment, "expected");
  const differ = c.provenance!.rows.filter((r) => r.differs).map((r) => r.what);
  assert.deepEqual(differ, ["model sha256", "model file"]);
  const md = renderComparisonMarkdown(c);
  assert.match(md, /^\| model sha256 \| `0{64}` \| `1{64}` \| yes \|$/m);
  assert.match(md, /^\| model file \| `\/m\/a\.gguf` \| `\/m\/b\.gguf` \| no \|$/m);
});

test("same model file, another KV cache type or engine version: settings that change numbers are listed", () => {
  const c = compare({}, { engine: { kvCacheType: "f32", engineVersion: "other" }, tasks: [jnli(9)] });
  assert.equal(c.provenance?.assessment, "settings");
  const differ = c.provenance!.rows.filter((r) => r.differs);
  assert.deepEqual(differ.map((r) => [r.what, r.baseline, r.new]), [
    ["engine", "llama.cpp test", "llama.cpp other"],
    ["KV cache type", "f16", "f32"],
  ]);
  assert.match(c.provenance!.message, /^same model file; engine, KV cache type differ, which change log-likelihoods/);
  const one = compare({}, { engine: { kvCacheType: "f32" }, tasks: [jnli(9)] });
  assert.match(one.provenance!.message, /^same model file; KV cache type differs, which changes log-likelihoods/);
  // threads do not change scores: listed as such, and not enough to call a difference expected.
  const t = compare({}, { engine: { threads: 8 }, tasks: [jnli(9)] });
  assert.equal(t.provenance?.assessment, "suspicious");
  assert.match(renderComparisonTable(t), /threads: 2 → 8 \(does not change scores\)/);
});

test("other CPU kernels change numbers; memory-mapped weights do not", () => {
  const kernels = compare({ engine: { cpuVariant: "zen4" } }, { engine: { cpuVariant: "sapphirerapids" }, tasks: [jnli(9)] });
  assert.equal(kernels.provenance?.assessment, "settings");
  assert.deepEqual(kernels.provenance!.rows.filter((r) => r.differs).map((r) => [r.what, r.baseline, r.new]), [["CPU kernels", "zen4", "sapphirerapids"]]);
  assert.match(kernels.provenance!.message, /^same model file; CPU kernels differs, which changes log-likelihoods/);
  const mapped = compare({ engine: { mmap: true } }, { engine: { mmap: false }, tasks: [jnli(9)] });
  assert.equal(mapped.provenance?.assessment, "suspicious");
  assert.deepEqual(mapped.provenance!.rows.filter((r) => r.differs).map((r) => [r.what, r.changesNumbers]), [["memory-mapped weights", false]]);
});

test("against the paper there is no provenance to compare", () => {
  const root = tempDir("prov-pub");
  const n = writeRun(path.join(root, "n"), { tasks: [{ key: "jnli", task: "jnli-1.1-0.3", metric: "acc", score: 50, n: 2434 }] });
  const c = compareRuns(runScores(n), { ...runScores(n), kind: "published", doc: undefined, dir: undefined }, opts);
  assert.equal(c.provenance, null);
});
