// The source converters and address rules of `datasets pull`, on small inputs written here.
// Expected outputs are written out by hand from the source formats' definitions (Python's
// json.dumps(ensure_ascii=False) layout, the MARC-ja ClassLabel order, tar's record layout).

import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { parquetWriteBuffer } from "hyparquet-writer";
import { convertFile } from "../src/datasets/convert.js";
import { mgsmExemplarsJsonl } from "../src/datasets/mgsmExemplars.js";
import { readPythonAssignments } from "../src/datasets/pythonLiterals.js";
import { extractTarMembers } from "../src/datasets/tarMembers.js";
import { xwinogradFromYandexTsv } from "../src/datasets/xwinograd.js";
import { defaultDataDir, parseSourceRedirect, redirectUrl, resolveSource, sourceSettings } from "../src/datasets/sources.js";

function withTemp<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "rakuten-convert-"));
  return fn(dir).finally(() => rmSync(dir, { recursive: true, force: true }));
}

test("MARC-ja Parquet rows become JGLUE's lines: label 0 positive, 1 negative", async () => {
  await withTemp(async (dir) => {
    const file = path.join(dir, "marc.parquet");
    const buffer = parquetWriteBuffer({
      columnData: [
        { name: "sentence", data: ["とても良い", 'He said "bad"'], type: "STRING" },
        { name: "label", data: [0n, 1n], type: "INT64" },
        { name: "review_id", data: ["R1", "R2"], type: "STRING" },
      ],
    });
    writeFileSync(file, Buffer.from(buffer));
    const out = await convertFile({ kind: "parquet-jsonl", rows: "marc_ja" }, file, "marc_ja validation");
    assert.equal(out.toString("utf8"), '{"sentence": "とても良い", "label": "positive", "review_id": "R1"}\n{"sentence": "He said \\"bad\\"", "label": "negative", "review_id": "R2"}\n');
  });
});

test("plain Parquet rows keep every column, int64 as numbers", async () => {
  await withTemp(async (dir) => {
    const file = path.join(dir, "x.parquet");
    writeFileSync(file, Buffer.from(parquetWriteBuffer({ columnData: [{ name: "id", data: [7n], type: "INT64" }, { name: "text", data: ["本文\n2行"], type: "STRING" }] })));
    const out = await convertFile({ kind: "parquet-jsonl", rows: "plain" }, file, "xlsum_ja test");
    assert.equal(out.toString("utf8"), '{"id": 7, "text": "本文\\n2行"}\n');
  });
});

test("a file that is not Parquet is a parse error naming it", async () => {
  await withTemp(async (dir) => {
    const file = path.join(dir, "broken.parquet");
    writeFileSync(file, "<html>not parquet</html>");
    await assert.rejects(convertFile({ kind: "parquet-jsonl", rows: "arc" }, file, "arc_challenge test"), (e: Error) => e.message.includes("broken.parquet") && /Parquet/.test(e.message));
  });
});

/** A tar header (ustar) for `name` of `size` bytes and type flag `type`. */
function header(name: string, size: number, type: string): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, "utf8");
  h.write(size.toString(8).padStart(11, "0") + "\0", 124, "latin1");
  h.write(type, 156, "latin1");
  h.write("ustar\0" + "00", 257, "latin1");
  return h;
}
const pad = (b: Buffer) => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);

test("tar members are found by name, including GNU long names; absent ones are reported", async () => {
  await withTemp(async (dir) => {
    const longName = `data/test/${"x".repeat(120)}_test.csv`;
    const a = Buffer.from("q,1,2,3,4,A\n");
    const b = Buffer.from("long,1,2,3,4,B\n".repeat(50));
    const longRecord = Buffer.from(longName + "\0");
    const tar = Buffer.concat([
      header("data/dev/", 0, "5"),
      header("data/dev/a_dev.csv", a.length, "0"),
      pad(a),
      header("././@LongLink", longRecord.length, "L"),
      pad(longRecord),
      header(longName.slice(0, 100), b.length, "0"),
      pad(b),
      Buffer.alloc(1024),
    ]);
    const file = path.join(dir, "data.tar");
    writeFileSync(file, tar);
    const got = new Map<string, Buffer>();
    const absent = await extractTarMembers(
      file,
      new Map([
        ["data/dev/a_dev.csv", async (bytes: Buffer) => void got.set("a", bytes)],
        [longName, async (bytes: Buffer) => void got.set("long", bytes)],
        ["data/val/none.csv", async () => assert.fail("not in the archive")],
      ]),
    );
    assert.deepEqual(absent, ["data/val/none.csv"]);
    assert.ok(got.get("a")!.equals(a));
    assert.ok(got.get("long")!.equals(b));
  });
});

test("xWinograd: the pronoun span is replaced by each candidate; answer is the correct one's number", () => {
  const tsv = [
    'en\toriginal\t?\tThe cat sat.\t["The", "cat", "sat", "."]\t["cat", [1, 2], ["cat"]]\t[["dog", [0, 1], ["dog"], true], ["cow", [0, 1], ["cow"], false]]',
    'jp\ttest\tX.\t太郎は花子に本を渡した。彼は親切だ。\t["\\u592a\\u90ce", "\\u306f\\u82b1\\u5b50\\u306b\\u672c\\u3092\\u6e21\\u3057\\u305f\\u3002", "\\u5f7c", "\\u306f\\u89aa\\u5207\\u3060\\u3002"]\t["\\u5f7c", [2, 3], ["\\u5f7c"]]\t[["\\u592a\\u90ce", [0, 1], ["\\u592a\\u90ce"], false], ["\\u82b1\\u5b50", [1, 2], ["\\u82b1\\u5b50"], true]]',
    "",
  ].join("\n");
  const out = xwinogradFromYandexTsv(tsv, "jp", "xwinograd").toString("utf8");
  assert.equal(out, '{"sentence1": "太郎は花子に本を渡した。太郎は親切だ。", "sentence2": "太郎は花子に本を渡した。花子は親切だ。", "answer": "2"}\n');
});

test("Python literals: escapes, implicit concatenation, single quotes, comments and a docstring", () => {
  const source = [
    '"""Doc with "quotes" and = signs."""',
    "# A = 1  (a comment, not an assignment)",
    "NUMS = [1, -2, 30]  # trailing comment",
    "D = {",
    "    'k': 'it\\'s' \"\\u65e5\"",
    '         "\\n\\\\end",',
    '    "n": (True, None),',
    "}",
  ].join("\n");
  const values = readPythonAssignments(source);
  assert.deepEqual(values.get("NUMS"), [1, -2, 30]);
  assert.deepEqual(values.get("D"), { k: "it's日\n\\end", n: [true, null] });
  assert.equal(values.has("A"), false);
});

test("MGSM exemplars: one line per exemplar of the language, numbers and equations by position", () => {
  const source = [
    "EXEMPLAR_NUMBER_ANSWERS = [11, 29]",
    'EXEMPLAR_EQUATION_SOLUTIONS = ["5 + 6 = 11.", "4 * 5 = 20. 9 + 20 = 29."]',
    "MGSM_EXEMPLARS = {",
    '  "en": {"1": {"q": "Question: a", "a": "Answer: b"}, "2": {"q": "c", "a": "d"}},',
    '  "ja": {"2": {"q": "\\u554f\\u984c\\uff1a2", "a": "A2"}, "1": {"q": "\\u554f\\u984c\\uff1a"',
    '                "1\\n", "a": "A1"}},',
    "}",
  ].join("\n");
  const out = mgsmExemplarsJsonl(source, "ja", "mgsm_ja train").toString("utf8");
  assert.equal(
    out,
    '{"question": "問題：1\\n", "answer": "A1", "answer_number": 11, "equation_solution": "5 + 6 = 11."}\n' +
      '{"question": "問題：2", "answer": "A2", "answer_number": 29, "equation_solution": "4 * 5 = 20. 9 + 20 = 29."}\n',
  );
  assert.throws(() => mgsmExemplarsJsonl(source, "fr", "mgsm"), /MGSM_EXEMPLARS\["fr"\]/);
});

test("source addresses: HF_ENDPOINT for the Hub, one mirror setting for every other host, no token anywhere in a URL", () => {
  const settings = sourceSettings({ HF_ENDPOINT: "http://127.0.0.1:9/hub/", HF_TOKEN: "hf_secret", RAKUTEN_EVAL_SOURCE_MIRROR: "http://mirror.local/src" });
  const hub = resolveSource({ kind: "hf", repo: "shunk031/JGLUE", revision: "refs/convert/parquet", file: "MARC-ja/jglue-train.parquet" }, settings);
  assert.equal(hub.url, "http://127.0.0.1:9/hub/datasets/shunk031/JGLUE/resolve/refs%2Fconvert%2Fparquet/MARC-ja/jglue-train.parquet");
  assert.equal(hub.canonical, "https://huggingface.co/datasets/shunk031/JGLUE/resolve/refs%2Fconvert%2Fparquet/MARC-ja/jglue-train.parquet");
  assert.equal(hub.hub, true);
  const raw = resolveSource({ kind: "url", url: "https://raw.githubusercontent.com/a/b/c.json" }, settings);
  assert.equal(raw.url, "http://mirror.local/src/raw.githubusercontent.com/a/b/c.json");
  assert.equal(raw.hub, false);
  assert.ok(!JSON.stringify([hub, raw]).includes("hf_secret"));

  const mapped = parseSourceRedirect("https://people.eecs.berkeley.edu=http://m/berkeley, https://raw.githubusercontent.com=http://m/gh", "--source-base");
  assert.equal(redirectUrl("https://people.eecs.berkeley.edu/~hendrycks/data.tar", mapped), "http://m/berkeley/~hendrycks/data.tar");
  assert.equal(redirectUrl("https://raw.githubusercontent.com/x/y", mapped), "http://m/gh/x/y");
  assert.equal(redirectUrl("https://example.org/z", mapped), "https://example.org/z");
  assert.throws(() => parseSourceRedirect("http://user:pw@m/", "x"), /credentials/);
  assert.throws(() => parseSourceRedirect("https://raw.githubusercontent.com/path=http://m", "x"), /origin/);
  // With no settings, sources are used as pinned.
  assert.equal(resolveSource({ kind: "url", url: "https://raw.githubusercontent.com/a" }, sourceSettings({})).url, "https://raw.githubusercontent.com/a");
});

test("default cache folder: $XDG_CACHE_HOME/rakuten-eval/datasets, else ~/.cache/rakuten-eval/datasets", () => {
  assert.equal(defaultDataDir({ XDG_CACHE_HOME: "/var/cache/me" }), path.join("/var/cache/me", "rakuten-eval", "datasets"));
  assert.equal(defaultDataDir({}), path.join(os.homedir(), ".cache", "rakuten-eval", "datasets"));
});
