// Turns a fetched source file into the manifest's file, where the two differ: a member of a tar
// archive (MMLU's data.tar), Parquet rows from the Hugging Face Hub as JSON lines (ARC, MARC-ja,
// XL-Sum), yandex's xWinograd TSV as Stability's sentence pairs, and the MGSM exemplars of
// exemplars.py as HF juletxara/mgsm's train lines. Each produces exactly the bytes the manifest
// pins where it pins them (see the notes per converter); the caller verifies before use.

import { open } from "node:fs/promises";
import { asyncBufferFromFile, parquetReadObjects } from "hyparquet";
import { DatasetError } from "../errors.js";
import { parseDelimitedRows } from "./delimited.js";
import type { ConvertSpec } from "./manifestTypes.js";

/** Convert the fetched `source` file to the bytes of the manifest file (not for `tar-member`: see extractTarMembers). */
export async function convertFile(convert: ConvertSpec, source: string, label: string): Promise<Buffer> {
  switch (convert.kind) {
    case "parquet-jsonl":
      return parquetToJsonl(source, convert.rows, label);
    case "xwinograd-yandex":
      return xwinogradFromYandexTsv((await readAll(source)).toString("utf8"), convert.language, label);
    case "mgsm-exemplars":
      return mgsmExemplarsJsonl((await readAll(source)).toString("utf8"), convert.language, label);
    case "tar-member":
      throw new Error("tar members are extracted with extractTarMembers");
  }
}

async function readAll(file: string): Promise<Buffer> {
  const handle = await open(file, "r");
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

// ---------------------------------------------------------------------------------------------
// JSON as Python's json.dumps(obj, ensure_ascii=False) writes it: ", " and ": " separators. The
// derived files (xWinograd, MGSM exemplars, JGLUE's MARC-ja) were written that way. String escapes
// agree with JSON.stringify (both escape only '"', '\\' and control characters).

export function pythonJson(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`cannot write ${value} as JSON`);
    return Number.isInteger(value) ? String(value) : JSON.stringify(value);
  }
  if (typeof value === "string" || typeof value === "boolean") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(pythonJson).join(", ")}]`;
  if (value instanceof Date) return JSON.stringify(value.toISOString());
  if (typeof value === "object") {
    return `{${Object.entries(value as Record<string, unknown>)
      .map(([k, v]) => `${JSON.stringify(k)}: ${pythonJson(v)}`)
      .join(", ")}}`;
  }
  throw new Error(`cannot write a ${typeof value} as JSON`);
}

// ---------------------------------------------------------------------------------------------
// Tar (POSIX ustar / GNU): 512-byte headers, each member's data padded to 512 bytes. Long names
// come as GNU 'L' records or PAX 'x' headers with a `path` key; both are honoured.

/**
 * Copy the named members of `tarPath` into the given files, in one pass over the archive.
 * Returns the members not found.
 */
export async function extractTarMembers(tarPath: string, members: Map<string, (bytes: Buffer) => Promise<void>>): Promise<string[]> {
  const wanted = new Map(members);
  const handle = await open(tarPath, "r");
  try {
    const header = Buffer.alloc(512);
    let position = 0;
    let longName: string | undefined;
    for (;;) {
      const { bytesRead } = await handle.read(header, 0, 512, position);
      if (bytesRead < 512 || header.every((b) => b === 0)) break;
      position += 512;
      const size = parseTarNumber(header.subarray(124, 136));
      const type = String.fromCharCode(header[156]!);
      const padded = Math.ceil(size / 512) * 512;
      if (type === "L" || type === "x") {
        const data = Buffer.alloc(size);
        await handle.read(data, 0, size, position);
        if (type === "L") longName = data.toString("utf8").replace(/\0+$/, "");
        else {
          const pathRecord = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString("utf8"));
          if (pathRecord) longName = pathRecord[1];
        }
        position += padded;
        continue;
      }
      const name = longName ?? tarName(header);
      longName = undefined;
      const normalized = name.replace(/^\.\//, "");
      const write = wanted.get(normalized);
      if (write && (type === "0" || type === "\0")) {
        const data = Buffer.alloc(size);
        await handle.read(data, 0, size, position);
        await write(data);
        wanted.delete(normalized);
        if (wanted.size === 0) break;
      }
      position += padded;
    }
  } finally {
    await handle.close();
  }
  return [...wanted.keys()];
}

function tarName(header: Buffer): string {
  const field = (start: number, length: number) => {
    const bytes = header.subarray(start, start + length);
    const end = bytes.indexOf(0);
    return bytes.subarray(0, end < 0 ? length : end).toString("utf8");
  };
  const name = field(0, 100);
  const prefix = header.subarray(257, 263).toString("latin1").startsWith("ustar") ? field(345, 155) : "";
  return prefix ? `${prefix}/${name}` : name;
}

function parseTarNumber(field: Buffer): number {
  // GNU base-256 for sizes of 8 GiB and more; octal text otherwise.
  if (field[0]! & 0x80) {
    let value = 0;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    return value;
  }
  const text = field.toString("latin1").replace(/\0.*$/s, "").trim();
  return text === "" ? 0 : parseInt(text, 8);
}

// ---------------------------------------------------------------------------------------------
// Parquet (Hugging Face datasets' Parquet exports) to JSON lines.

type ParquetRow = Record<string, unknown>;

/** MARC-ja's label is a ClassLabel over ["positive", "negative", "neutral"] (shunk031/JGLUE). */
const MARC_JA_LABELS = ["positive", "negative", "neutral"] as const;

async function parquetToJsonl(source: string, rows: "marc_ja" | "arc" | "plain", label: string): Promise<Buffer> {
  let records: ParquetRow[];
  try {
    records = (await parquetReadObjects({ file: await asyncBufferFromFile(source) })) as ParquetRow[];
  } catch (e) {
    throw new DatasetError("parse", source, `${label}: ${source} is not a readable Parquet file (${(e as Error).message}); delete it and pull again.`);
  }
  const lines = records.map((row, i) => {
    try {
      switch (rows) {
        case "arc":
          return arcLine(row);
        case "marc_ja":
          return marcJaLine(row);
        case "plain":
          return pythonJson(plainRow(row));
      }
    } catch (e) {
      throw new DatasetError("parse", source, `${label}: ${source} row ${i}: ${(e as Error).message}`);
    }
  });
  return Buffer.from(lines.map((l) => l + "\n").join(""), "utf8");
}

/**
 * HF ai2_arc rows `{id, question, choices:{text[], label[]}, answerKey}` back to the raw
 * ARC-V1-Feb2018 line `{"id","question":{"stem","choices":[{"text","label"}]},"answerKey"}`, which
 * AI2 wrote as compact JSON (what JSON.stringify writes, key order as here).
 */
function arcLine(row: ParquetRow): string {
  const choices = row["choices"] as { text?: unknown; label?: unknown } | undefined;
  const texts = choices?.text;
  const labels = choices?.label;
  if (typeof row["id"] !== "string" || typeof row["question"] !== "string" || typeof row["answerKey"] !== "string" || !Array.isArray(texts) || !Array.isArray(labels) || texts.length !== labels.length) {
    throw new Error("expected ai2_arc columns id, question, choices{text,label}, answerKey");
  }
  return JSON.stringify({
    id: row["id"],
    question: { stem: row["question"], choices: texts.map((text, i) => ({ text: String(text), label: String(labels[i]) })) },
    answerKey: row["answerKey"],
  });
}

/** shunk031/JGLUE MARC-ja rows `{sentence, label:int, review_id}` to JGLUE's preprocessed line. */
function marcJaLine(row: ParquetRow): string {
  const index = Number(row["label"]);
  const name = MARC_JA_LABELS[index];
  if (typeof row["sentence"] !== "string" || name === undefined || typeof row["review_id"] !== "string") throw new Error("expected MARC-ja columns sentence, label (0..2), review_id");
  return pythonJson({ sentence: row["sentence"], label: name, review_id: row["review_id"] });
}

/** Any row as it is, int64 columns as plain numbers (no `__index_level_0__` pandas leftovers). */
function plainRow(row: ParquetRow): ParquetRow {
  const out: ParquetRow = {};
  for (const [key, value] of Object.entries(row)) {
    if (key.startsWith("__index_level_")) continue;
    out[key] = typeof value === "bigint" ? Number(value) : value;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// xWinograd: yandex-research/crosslingual_winograd dataset.tsv, columns
//   lang, split, English original, sentence, tokens (JSON), pronoun [text,[s,e],tokens] (JSON),
//   candidates [[text,[s,e],tokens,correct], ...] (JSON).
// Stability's polm-stability/xwinograd-ja replaces the pronoun span by each candidate:
//   sentence_k = join(tokens[:s]) + candidate_k + join(tokens[e:]),  answer = "k" of the correct one.
// Japanese (and Chinese) tokens join with no separator: "".join(tokens) equals the sentence.

const JOINERS: Record<string, string> = { jp: "", zh: "" };

export function xwinogradFromYandexTsv(text: string, language: string, label: string): Buffer {
  const joiner = JOINERS[language];
  if (joiner === undefined) throw new DatasetError("parse", label, `${label}: xWinograd conversion supports ${Object.keys(JOINERS).join(", ")}, not "${language}".`);
  const out: string[] = [];
  // Rows as Python's csv reader with delimiter="\t" yields them (src/datasets/delimited.ts).
  parseDelimitedRows(text, "\t", label).forEach((cols, index) => {
    if (cols[0] !== language) return;
    const fail = (what: string): never => {
      throw new DatasetError("parse", label, `${label}: dataset.tsv row ${index + 1}: ${what}.`);
    };
    if (cols.length !== 7) fail(`expected 7 tab-separated columns, found ${cols.length}`);
    let tokens: unknown, pronoun: unknown, candidates: unknown;
    try {
      tokens = JSON.parse(cols[4]!);
      pronoun = JSON.parse(cols[5]!);
      candidates = JSON.parse(cols[6]!);
    } catch (e) {
      return fail(`a JSON column does not parse (${(e as Error).message})`);
    }
    if (!Array.isArray(tokens) || !Array.isArray(pronoun) || !Array.isArray(candidates) || candidates.length !== 2) return fail("unexpected tokens/pronoun/candidates shape");
    const span = pronoun[1] as unknown;
    if (!Array.isArray(span) || typeof span[0] !== "number" || typeof span[1] !== "number") return fail("pronoun span is not [start, end]");
    const before = (tokens as string[]).slice(0, span[0]).join(joiner);
    const after = (tokens as string[]).slice(span[1]).join(joiner);
    const sentences = (candidates as unknown[][]).map((c) => `${before}${String(c[0])}${after}`);
    const correct = (candidates as unknown[][]).findIndex((c) => c[3] === true);
    if (correct < 0) fail("no candidate is marked correct");
    out.push(pythonJson({ sentence1: sentences[0], sentence2: sentences[1], answer: String(correct + 1) }) + "\n");
  });
  return Buffer.from(out.join(""), "utf8");
}

// ---------------------------------------------------------------------------------------------
// MGSM exemplars: google-research/url-nlp mgsm/exemplars.py defines, as Python literals,
//   EXEMPLAR_NUMBER_ANSWERS = [11, ...], EXEMPLAR_EQUATION_SOLUTIONS = ["5 + 6 = 11.", ...],
//   MGSM_EXEMPLARS = {"<lang>": {"1": {"q": "...", "a": "..."}, ...}, ...}
// HF juletxara/mgsm serves the 8 exemplars of a language as its train split, one line each:
//   {"question": q, "answer": a, "answer_number": n, "equation_solution": eq}.
// A small reader of Python literals (strings with escapes and implicit concatenation, ints,
// lists, dicts) suffices; nothing is executed.

export function mgsmExemplarsJsonl(source: string, language: string, label: string): Buffer {
  let values: Map<string, unknown>;
  try {
    values = readPythonAssignments(source);
  } catch (e) {
    throw new DatasetError("parse", label, `${label}: exemplars.py: ${(e as Error).message}`);
  }
  const numbers = values.get("EXEMPLAR_NUMBER_ANSWERS");
  const equations = values.get("EXEMPLAR_EQUATION_SOLUTIONS");
  const exemplars = values.get("MGSM_EXEMPLARS") as Record<string, Record<string, { q?: unknown; a?: unknown }>> | undefined;
  const forLanguage = exemplars?.[language];
  if (!Array.isArray(numbers) || !Array.isArray(equations) || !forLanguage) {
    throw new DatasetError("parse", label, `${label}: exemplars.py lacks EXEMPLAR_NUMBER_ANSWERS, EXEMPLAR_EQUATION_SOLUTIONS or MGSM_EXEMPLARS["${language}"].`);
  }
  const keys = Object.keys(forLanguage).sort((a, b) => Number(a) - Number(b));
  const lines = keys.map((key, i) => {
    const item = forLanguage[key]!;
    if (typeof item.q !== "string" || typeof item.a !== "string" || i >= numbers.length || i >= equations.length) {
      throw new DatasetError("parse", label, `${label}: exemplars.py MGSM_EXEMPLARS["${language}"]["${key}"] is not {q, a} with a matching answer number and equation.`);
    }
    return pythonJson({ question: item.q, answer: item.a, answer_number: numbers[i], equation_solution: equations[i] }) + "\n";
  });
  return Buffer.from(lines.join(""), "utf8");
}

type Token = { kind: "string"; value: string } | { kind: "number"; value: number } | { kind: "name"; value: string } | { kind: "punct"; value: string };

/** Top-level `NAME = <literal>` statements of a Python module; other statements are skipped. */
export function readPythonAssignments(source: string): Map<string, unknown> {
  const tokens = tokenizePython(source);
  const out = new Map<string, unknown>();
  let i = 0;
  const peek = () => tokens[i];
  const next = () => {
    const t = tokens[i++];
    if (!t) throw new Error("unexpected end of file");
    return t;
  };
  const expect = (value: string) => {
    const t = next();
    if (t.kind !== "punct" || t.value !== value) throw new Error(`expected "${value}", found ${JSON.stringify(t.value)}`);
  };
  const literal = (): unknown => {
    const t = next();
    if (t.kind === "string") {
      let value = t.value;
      // Adjacent string literals concatenate.
      while (peek()?.kind === "string") value += (next() as { value: string }).value;
      return value;
    }
    if (t.kind === "number") return t.value;
    if (t.kind === "name") {
      if (t.value === "True") return true;
      if (t.value === "False") return false;
      if (t.value === "None") return null;
      throw new Error(`unsupported name ${t.value} in a literal`);
    }
    if (t.value === "-" && peek()?.kind === "number") return -(next() as { value: number }).value;
    if (t.value === "[" || t.value === "(") {
      const close = t.value === "[" ? "]" : ")";
      const items: unknown[] = [];
      while (!(peek()?.kind === "punct" && peek()!.value === close)) {
        items.push(literal());
        if (peek()?.kind === "punct" && peek()!.value === ",") next();
      }
      expect(close);
      return items;
    }
    if (t.value === "{") {
      const obj: Record<string, unknown> = {};
      while (!(peek()?.kind === "punct" && peek()!.value === "}")) {
        const key = literal();
        expect(":");
        obj[String(key)] = literal();
        if (peek()?.kind === "punct" && peek()!.value === ",") next();
      }
      expect("}");
      return obj;
    }
    throw new Error(`unexpected ${JSON.stringify(t.value)}`);
  };
  while (i < tokens.length) {
    const t = next();
    const after = peek();
    if (t.kind === "name" && after?.kind === "punct" && after.value === "=") {
      next();
      out.set(t.value, literal());
    } else if (t.kind === "string") {
      // A docstring or other bare expression: skip it.
    }
  }
  return out;
}

function tokenizePython(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === "#") {
      while (i < source.length && source[i] !== "\n") i++;
      continue;
    }
    if (/\s/.test(c) || c === "\\") {
      i++;
      continue;
    }
    const prefix = /^[rRuUbB]{0,2}(?=["'])/.exec(source.slice(i, i + 3));
    if (prefix && (source[i + prefix[0].length] === '"' || source[i + prefix[0].length] === "'")) {
      const raw = /r/i.test(prefix[0]);
      i += prefix[0].length;
      const quote = source[i]!;
      const triple = source.startsWith(quote.repeat(3), i);
      const delimiter = triple ? quote.repeat(3) : quote;
      i += delimiter.length;
      let value = "";
      for (;;) {
        if (i >= source.length) throw new Error("unterminated string");
        if (source.startsWith(delimiter, i)) {
          i += delimiter.length;
          break;
        }
        const ch = source[i]!;
        if (ch === "\n" && !triple) throw new Error("newline in a string");
        if (ch === "\\" && !raw) {
          const [text, length] = pythonEscape(source, i);
          value += text;
          i += length;
          continue;
        }
        value += ch;
        i++;
      }
      tokens.push({ kind: "string", value });
      continue;
    }
    const number = /^\d+(?:\.\d+)?/.exec(source.slice(i, i + 40));
    if (number) {
      tokens.push({ kind: "number", value: Number(number[0]) });
      i += number[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i, i + 200));
    if (name) {
      tokens.push({ kind: "name", value: name[0] });
      i += name[0].length;
      continue;
    }
    tokens.push({ kind: "punct", value: c });
    i++;
  }
  return tokens;
}

/** One backslash escape of a (non-raw) Python str literal at `source[at]`: its text and length. */
function pythonEscape(source: string, at: number): [string, number] {
  const e = source[at + 1];
  const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"', a: "\x07", b: "\b", f: "\f", v: "\v", "0": "\0", "\n": "" };
  if (e === "u" || e === "x" || e === "U") {
    const length = e === "x" ? 2 : e === "u" ? 4 : 8;
    const hex = source.slice(at + 2, at + 2 + length);
    if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== length) throw new Error(`bad \\${e} escape`);
    return [String.fromCodePoint(parseInt(hex, 16)), 2 + length];
  }
  if (e !== undefined && e in simple) return [simple[e]!, 2];
  // Python keeps unknown escapes as written.
  return [`\\${e ?? ""}`, 2];
}
