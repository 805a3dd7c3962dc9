// Altered, truncated, malformed and missing files, written to a temporary data directory.
import { test, after } from "node:test";
import { execFileSync } from "node:child_process";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { checkSplit, loadSplit } from "../src/datasets/loadSplit.js";
import { DatasetError } from "../src/util/errors.js";
import { sharedSkip } from "./support/sharedData.js";

const sharedDir = path.resolve(process.cwd(), "../shared/datasets");
const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-datasets-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

let dirCount = 0;
/** A fresh data directory holding `files` (relative path → content). */
function dataDirWith(files: Record<string, string | Buffer>): string {
  const dir = path.join(scratch, `d${dirCount++}`);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  mkdirSync(dir, { recursive: true });
  return dir;
}

function isDatasetError(reason: DatasetError["reason"], pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof DatasetError, `a DatasetError, got ${String(e)}`);
    assert.equal(e.reason, reason);
    assert.equal(e.kind, "dataset");
    assert.match(e.message, pattern);
    assert.ok(!e.message.includes("\n"), "one line");
    return true;
  };
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

test("an altered copy of a pinned file fails with a checksum error naming the file", { skip: sharedSkip(sharedDir) }, async () => {
  const original = readFileSync(path.join(sharedDir, "jcommonsenseqa/valid-v1.1.json"), "utf8");
  // Same record count, one answer changed: only the checksum can catch it.
  const altered = original.replace('"label": 2}', '"label": 3}');
  assert.notEqual(altered, original);
  const dir = dataDirWith({ "jcommonsenseqa/valid-v1.1.json": altered });
  const file = path.join(dir, "jcommonsenseqa", "valid-v1.1.json");
  await assert.rejects(loadSplit(dir, { dataset: "jcommonsenseqa", split: "validation" }), isDatasetError("checksum", new RegExp(`^${escape(file)}: sha256 [0-9a-f]{64} differs from the pinned 0d8d76f3`)));

  // allowMismatch lets it through, flagged.
  const loaded = await loadSplit(dir, { dataset: "jcommonsenseqa", split: "validation" }, { allowMismatch: true });
  assert.equal(loaded.records.length, 1119);
  assert.equal(loaded.verified, "none");
  assert.equal(loaded.mismatches.length, 1);
  assert.equal((loaded.records[0] as { label: number }).label, 3);

  // A status check with hashing sees it too; without hashing the size is still the same.
  assert.equal((await checkSplit(dir, { dataset: "jcommonsenseqa", split: "validation" })).state, "present");
  assert.equal((await checkSplit(dir, { dataset: "jcommonsenseqa", split: "validation" }, { hash: true })).state, "mismatch");
});

test("a file pinned only by git blob id is checked against it", async () => {
  const dir = dataDirWith({ "jnli/train-v1.1.json": '{"sentence_pair_id": "0", "sentence1": "文", "sentence2": "b", "label": "neutral"}\n' });
  // The blob id git itself computes for these bytes (`git hash-object` only reads the file).
  let blobId = "[0-9a-f]{40}";
  try {
    blobId = execFileSync("git", ["hash-object", path.join(dir, "jnli", "train-v1.1.json")], { encoding: "utf8" }).trim();
  } catch {
    // no git on this machine: check only that a blob id is reported
  }
  await assert.rejects(
    loadSplit(dir, { dataset: "jnli", split: "train" }),
    isDatasetError("checksum", new RegExp(`git blob id ${blobId} differs from the pinned 14d9948a80dc585cfd53eb358594b0722b937802 \\(jnli train\\)`)),
  );
});

test("a truncated jsonl fails with a count error", { skip: sharedSkip(sharedDir) }, async () => {
  // xlsum_ja test pins no checksum (no official copy seen), so the record count is the check.
  const lines = readFileSync(path.join(sharedDir, "xlsum_ja/PARTIAL_test_subset_417_sena2327.jsonl"), "utf8").split("\n");
  const dir = dataDirWith({ "xlsum_ja/test.jsonl": lines.slice(0, 50).join("\n") + "\n" });
  const file = path.join(dir, "xlsum_ja", "test.jsonl");
  await assert.rejects(loadSplit(dir, { dataset: "xlsum_ja", split: "test" }), isDatasetError("count", new RegExp(`^${escape(file)}: 50 records, expected 766 \\(xlsum_ja test\\)`)));
  const loaded = await loadSplit(dir, { dataset: "xlsum_ja", split: "test" }, { allowMismatch: true });
  assert.equal(loaded.records.length, 50);
  assert.equal(loaded.partial, null, "the official path is preferred over the stand-in");
  assert.equal(loaded.verified, "none");
});

test("a malformed JSON line names file:line", async () => {
  const good = (n: number) => JSON.stringify({ sentence: `レビュー${n}`, label: "positive", review_id: `R${n}` });
  const dir = dataDirWith({ "marc_ja/valid-v1.1.json": [good(1), good(2), '{"sentence": "途中で切れた', good(4)].join("\n") + "\n" });
  const file = path.join(dir, "marc_ja", "valid-v1.1.json");
  // Even with allowMismatch: there is nothing sound to evaluate.
  await assert.rejects(loadSplit(dir, { dataset: "marc_ja", split: "validation" }, { allowMismatch: true }), isDatasetError("parse", new RegExp(`^${escape(file)}:3: malformed JSON line`)));
});

test("a missing split gives one line naming dataset, split, expected path and the fix", async () => {
  const dir = dataDirWith({});
  const expected = path.join(dir, "jnli", "train-v1.1.json");
  await assert.rejects(
    loadSplit(dir, { dataset: "jnli", split: "train" }, { role: "fewshot" }),
    isDatasetError("missing", new RegExp(`^jnli train split missing: expected ${escape(expected)} \\(yahoojapan/JGLUE, https://github\\.com/yahoojapan/JGLUE/.*\\)\\. Put the file there, or run with --shots 0 for this task\\.$`)),
  );
  await assert.rejects(loadSplit(dir, { dataset: "marc_ja", split: "validation" }, { role: "eval" }), isDatasetError("missing", /^marc_ja validation split missing: .*Put the file there, or leave this task out\.$/));
  const check = await checkSplit(dir, { dataset: "jnli", split: "train" });
  assert.equal(check.state, "missing");
  assert.equal(check.size, null);
  assert.equal(check.absolutePath, expected);
});

test("a changed file is re-read, not served stale from the cache", async () => {
  const record = (n: number) => JSON.stringify({ sentence: `文${n}`, label: "negative", review_id: `R${n}` }) + "\n";
  const dir = dataDirWith({ "marc_ja/train-v1.1.json": record(1) });
  const first = await loadSplit(dir, { dataset: "marc_ja", split: "train" }, { allowMismatch: true });
  assert.equal(first.records.length, 1);
  writeFileSync(path.join(dir, "marc_ja", "train-v1.1.json"), record(1) + record(2));
  const second = await loadSplit(dir, { dataset: "marc_ja", split: "train" }, { allowMismatch: true });
  assert.equal(second.records.length, 2);
  assert.notEqual(first.sha256, second.sha256);
});

test("a byte-order mark does not break the first line", async () => {
  const dir = dataDirWith({ "marc_ja/train-v1.1.json": "\uFEFF" + JSON.stringify({ sentence: "良い", label: "positive", review_id: "R1" }) + "\n" });
  const loaded = await loadSplit(dir, { dataset: "marc_ja", split: "train" }, { allowMismatch: true });
  assert.deepEqual(loaded.records, [{ sentence: "良い", label: "positive", review_id: "R1" }]);
});
