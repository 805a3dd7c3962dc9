// CSV/TSV rows (csv-parse configured as Python's csv reader). The expected rows of the edge cases
// were produced by CPython 3.11's csv module: `csv.reader(lines)` over `io.BytesIO(text).readlines()`
// decoded (as HF hendrycks_test.py feeds it) for CSV, `csv.reader(io.StringIO(text, newline=""),
// delimiter="\t")` for TSV; Python's `[]` for a blank line is left out (we skip blank lines).
// The last test runs Python itself over every CSV/TSV file in ../shared/datasets when it can.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { parseDelimitedRows } from "../src/datasets/delimited.js";
import { DatasetError } from "../src/util/errors.js";
import { sharedSkip } from "./support/sharedData.js";

const PYTHON_CSV: [string, string[][]][] = [
  ["a,b\n", [["a", "b"]]],
  ["a,b", [["a", "b"]]],
  ["a,b\r\n", [["a", "b"]]],
  ["a,b\r\nc,d\ne,f\r", [["a", "b"], ["c", "d"], ["e", "f"]]],
  ["\n\na,b\n\n", [["a", "b"]]],
  ['"a""b",c\n', [['a"b', "c"]]],
  ['"a\nb",c\n', [["a\nb", "c"]]],
  ['"a\r\nb",c\r\n', [["a\r\nb", "c"]]],
  ['a"b,c\n', [['a"b', "c"]]],
  [' "a",b\n', [[' "a"', "b"]]],
  ['"",x\n', [["", "x"]]],
  [",\n", [["", ""]]],
  ["a,\n", [["a", ""]]],
  ['"a,b",c\n', [["a,b", "c"]]],
  ['x,"y"\n', [["x", "y"]]],
  ['"a"""\n', [['a"']]],
  ['""""\n', [['"']]],
  ["None,NA,,null\n", [["None", "NA", "", "null"]]],
  ["\ufeffa,b\n", [["\ufeffa", "b"]]],
  ["a, b\n", [["a", " b"]]],
  ["a,b,c\nd\n", [["a", "b", "c"], ["d"]]],
];

const PYTHON_TSV: [string, string[][]][] = [
  ["q\t1\n", [["q", "1"]]],
  ['q"x"\t2\n', [['q"x"', "2"]]],
  ['"q\tx"\t3\n', [["q\tx", "3"]]],
  ["a\tb\tc\n", [["a", "b", "c"]]],
  ['"q""1"\t4\r\n', [['q"1', "4"]]],
  ["問1\t2,125\r\n問2\t7\n", [["問1", "2,125"], ["問2", "7"]]],
];

test("CSV edge cases: rows as Python's csv reader yields them", () => {
  for (const [text, rows] of PYTHON_CSV) assert.deepEqual(parseDelimitedRows(text, ",", "f.csv"), rows, JSON.stringify(text));
});

test("TSV edge cases: rows as Python's csv reader with delimiter='\\t' (default quoting) yields them", () => {
  for (const [text, rows] of PYTHON_TSV) assert.deepEqual(parseDelimitedRows(text, "\t", "f.tsv"), rows, JSON.stringify(text));
});

test("the two documented departures from Python, on malformed input only", () => {
  // Python (strict=False) returns ['a,b\n'] for an unterminated quoted field; a truncated file is refused instead.
  assert.throws(
    () => parseDelimitedRows('x,y\n"a,b\n', ",", "f.csv"),
    (e: unknown) => e instanceof DatasetError && e.reason === "parse" && /^f\.csv:\d+: unterminated quoted field \(.+\); re-download the file\.$/.test(e.message),
  );
  // Python gives 'abcd' for `"ab"cd`; csv-parse's relax_quotes keeps the text verbatim.
  assert.deepEqual(parseDelimitedRows('"ab"cd,e\n', ",", "f.csv"), [['"ab"cd', "e"]]);
});

const dataDir = path.resolve(process.cwd(), "../shared/datasets");
function python(): string | undefined {
  for (const exe of ["python3", "python"]) {
    try {
      execFileSync(exe, ["-c", "import csv"], { stdio: "ignore" });
      return exe;
    } catch {
      // try the next name
    }
  }
  return undefined;
}
const py = python();
const skipShared = sharedSkip(path.join(dataDir, "mmlu")) || (py === undefined ? "no python3 to compare with" : false);

test("every CSV/TSV file in ../shared/datasets: the same rows as Python's csv module", { skip: skipShared }, () => {
  const files: [string, "," | "\t"][] = [];
  for (const split of ["dev", "val", "test"]) {
    const dir = path.join(dataDir, "mmlu/data", split);
    if (existsSync(dir)) for (const f of readdirSync(dir).sort()) files.push([path.join(dir, f), ","]);
  }
  for (const f of ["mgsm/mgsm_ja.tsv", "mgsm/mgsm_en.tsv", "xwinograd/dataset.tsv", "truthfulqa/TruthfulQA.csv", "MANIFEST.tsv"]) {
    if (existsSync(path.join(dataDir, f))) files.push([path.join(dataDir, f), f.endsWith(".tsv") ? "\t" : ","]);
  }
  const script = [
    "import csv, json, sys",
    "out = []",
    "for p, d in json.load(sys.stdin):",
    "    with open(p, encoding='utf-8', newline='') as f:",
    "        out.append([r for r in csv.reader(f, delimiter=d) if r != []])",
    "sys.stdout.write(json.dumps(out))",
  ].join("\n");
  const expected = JSON.parse(execFileSync(py!, ["-c", script], { input: JSON.stringify(files), maxBuffer: 1 << 28 }).toString("utf8")) as string[][][];
  let rows = 0;
  files.forEach(([file, delimiter], i) => {
    assert.deepEqual(parseDelimitedRows(readFileSync(file, "utf8"), delimiter, file), expected[i], file);
    rows += expected[i]!.length;
  });
  assert.ok(files.length >= 170 && rows > 19000, `${files.length} files, ${rows} rows`);
});
