import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { allManifests, loadManifest, manifestDir, splitEntry } from "../src/datasets/manifests.js";
import { DatasetError } from "../src/util/errors.js";
import { sharedSkip } from "./support/sharedData.js";

const sharedManifest = path.resolve(process.cwd(), "../shared/datasets/MANIFEST.tsv");

// Expected ids, split names, paths, formats and official record counts: from the task brief and
// ../shared/datasets/README.md (JGLUE README, HF cards), typed here by hand.
const EXPECTED: Record<string, Record<string, [string, string, number]>> = {
  jcommonsenseqa: { validation: ["jcommonsenseqa/valid-v1.1.json", "jsonl", 1119], train: ["jcommonsenseqa/train-v1.1.json", "jsonl", 8939] },
  jnli: { validation: ["jnli/valid-v1.1.json", "jsonl", 2434], train: ["jnli/train-v1.1.json", "jsonl", 20073] },
  marc_ja: { validation: ["marc_ja/valid-v1.1.json", "jsonl", 5654], train: ["marc_ja/train-v1.1.json", "jsonl", 187528] },
  jsquad: { validation: ["jsquad/valid-v1.1.json", "squad_nested", 4442], train: ["jsquad/train-v1.1.json", "squad_nested", 62859] },
  jaqket_v2: { validation: ["jaqket_v2/dev_jaqket_59.350.json", "jaqket_dpr", 1164], train: ["jaqket_v2/train_jaqket_59.350.json", "jaqket_dpr", 2154] },
  xlsum_ja: { test: ["xlsum_ja/test.jsonl", "jsonl", 766], train: ["xlsum_ja/train.jsonl", "jsonl", 4215], validation: ["xlsum_ja/validation.jsonl", "jsonl", 758] },
  xwinograd_ja: { test: ["xwinograd/jp_test_stability_format.jsonl", "jsonl", 959] },
  mgsm_ja: { test: ["mgsm/mgsm_ja.tsv", "tsv_question_answer", 250], train: ["mgsm/mgsm_ja_train_exemplars.jsonl", "jsonl", 8] },
  arc_challenge: {
    test: ["arc_challenge/ARC-Challenge-Test.jsonl", "jsonl", 1172],
    train: ["arc_challenge/ARC-Challenge-Train.jsonl", "jsonl", 1119],
    validation: ["arc_challenge/ARC-Challenge-Dev.jsonl", "jsonl", 299],
  },
  hellaswag: { validation: ["hellaswag/hellaswag_val.jsonl", "jsonl", 10042], train: ["hellaswag/hellaswag_train.jsonl", "jsonl", 39905] },
  truthfulqa_mc: { validation: ["truthfulqa/mc_task.json", "json_array", 817] },
};

test("manifests: the package's datasets/ folder holds one manifest per dataset id", () => {
  assert.equal(manifestDir(), path.resolve(process.cwd(), "datasets"));
  const ids = allManifests().map((m) => m.id);
  assert.deepEqual(ids, [...Object.keys(EXPECTED), "mmlu"].sort());
  for (const m of allManifests()) {
    assert.ok(m.title && m.license && m.source.name && m.source.revision && m.source.url, `${m.id} has title, license and source`);
  }
});

test("manifests: split names, paths, formats and official record counts", () => {
  for (const [id, splits] of Object.entries(EXPECTED)) {
    const manifest = loadManifest(id);
    assert.deepEqual(Object.keys(manifest.splits).sort(), Object.keys(splits).sort(), id);
    for (const [split, [p, format, records]] of Object.entries(splits)) {
      const entry = manifest.splits[split]!;
      assert.equal(entry.path, p, `${id} ${split} path`);
      assert.equal(entry.format, format, `${id} ${split} format`);
      assert.equal(entry.records, records, `${id} ${split} records`);
    }
  }
});

test("manifests: pins where no copy was seen (git blob ids from the upstream trees, else nothing)", () => {
  const blob = (id: string, split: string) => [splitEntry(id, split).sha256, splitEntry(id, split).gitBlobSha1];
  assert.deepEqual(blob("jnli", "train"), [null, "14d9948a80dc585cfd53eb358594b0722b937802"]);
  assert.deepEqual(blob("jsquad", "train"), [null, "20ce716ee531e3e23088f5840a3b0751ae803424"]);
  assert.deepEqual(blob("hellaswag", "validation"), [null, "0f5ee25d72216f12317d5d8a7b92deafa423d81e"]);
  assert.deepEqual(blob("hellaswag", "train"), [null, "1997e15fe638ef2aeec6993471159295cd75aab7"]);
  for (const [id, split] of [["marc_ja", "validation"], ["marc_ja", "train"], ["jaqket_v2", "validation"], ["jaqket_v2", "train"], ["xlsum_ja", "test"], ["xlsum_ja", "train"]]) {
    assert.deepEqual(blob(id!, split!), [null, undefined], `${id} ${split}`);
  }
  // The klosax HellaSwag text is not the official format: no stand-in.
  assert.equal(splitEntry("hellaswag", "validation").partial, undefined);
});

test("manifests: partial stand-ins (JSQuAD train subset, XL-Sum subsets)", () => {
  const jsquad = splitEntry("jsquad", "train").partial ?? [];
  assert.equal(jsquad.length, 1);
  assert.equal(jsquad[0]!.path, "jsquad/PARTIAL_train_subset_74q_yosuke318.json");
  assert.equal(jsquad[0]!.topLevelKey, "train");
  assert.equal(jsquad[0]!.records, 74);
  assert.equal(jsquad[0]!.officialRecords, 62859);
  const xlsum = splitEntry("xlsum_ja", "test").partial ?? [];
  assert.deepEqual(xlsum.map((p) => [p.path, p.records, p.officialRecords]), [["xlsum_ja/PARTIAL_test_subset_417_sena2327.jsonl", 417, 766]]);
  assert.equal(splitEntry("xlsum_ja", "train").partial, undefined);
});

test("manifests: MMLU has test/dev/val splits for the 57 subjects", () => {
  const splits = loadManifest("mmlu").splits;
  const names = Object.keys(splits);
  assert.equal(names.length, 57 * 3);
  const subjects = new Set(names.map((n) => n.split("/")[0]));
  assert.equal(subjects.size, 57);
  for (const s of ["abstract_algebra", "high_school_statistics", "college_computer_science", "world_religions", "us_foreign_policy"]) assert.ok(subjects.has(s), s);
  for (const s of subjects) {
    for (const sp of ["test", "dev", "val"]) {
      const e = splits[`${s}/${sp}`];
      assert.ok(e, `${s}/${sp}`);
      assert.equal(e.path, `mmlu/data/${sp}/${s}_${sp}.csv`);
      assert.equal(e.format, "mmlu_csv");
    }
  }
  const total = (sp: string) => [...subjects].reduce((n, s) => n + splits[`${s}/${sp}`]!.records, 0);
  // Totals from the hendrycks paper / ../shared README.
  assert.equal(total("test"), 14042);
  assert.equal(total("dev"), 285);
  assert.equal(total("val"), 1531);
});

test("manifests: pinned sha256, size and record count agree with ../shared/datasets/MANIFEST.tsv", { skip: sharedSkip(sharedManifest) }, () => {
  const rows = new Map<string, { bytes: number; records: number; sha256: string }>();
  for (const line of readFileSync(sharedManifest, "utf8").split("\n").slice(1)) {
    if (!line) continue;
    const [p, bytes, records, sha256] = line.split("\t");
    rows.set(p!, { bytes: Number(bytes), records: Number(records), sha256: sha256! });
  }
  let checked = 0;
  for (const m of allManifests()) {
    for (const [split, entry] of Object.entries(m.splits)) {
      for (const file of [entry, ...(entry.partial ?? [])]) {
        const row = rows.get(file.path);
        if (!row) {
          assert.equal(file.sha256, null, `${m.id} ${split} ${file.path}: pinned sha256 without a seen copy`);
          continue;
        }
        assert.equal(file.sha256, row.sha256, `${file.path} sha256`);
        assert.equal(file.bytes, row.bytes, `${file.path} bytes`);
        assert.equal(file.records, row.records, `${file.path} records`);
        checked++;
      }
    }
  }
  // 171 MMLU files + JCQA 2 + JNLI 1 + JSQuAD 2 + XL-Sum 2 + xWinograd 1 + MGSM 2 + ARC 3 + TruthfulQA 1.
  assert.equal(checked, 171 + 14);
});

test("manifests: an unknown dataset or split is a DatasetError that lists what exists", () => {
  assert.throws(() => loadManifest("jcommonsense"), (e: unknown) => e instanceof DatasetError && /unknown dataset "jcommonsense".*jcommonsenseqa/.test(e.message));
  assert.throws(() => splitEntry("jnli", "test"), (e: unknown) => e instanceof DatasetError && /no split "test" \(splits: validation, train\)/.test(e.message));
});
