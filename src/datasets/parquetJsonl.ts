// Parquet rows from the Hugging Face Hub's Parquet exports (ARC, MARC-ja, XL-Sum) as JSON lines,
// because the manifest's files are JSON lines and the Hub serves these datasets as Parquet. Each
// row mapping writes the line the manifest pins (see the note on each).

import { asyncBufferFromFile, parquetReadObjects } from "hyparquet";
import { DatasetError } from "../util/errors.js";
import { pythonJson } from "./pythonDumps.js";

type ParquetRow = Record<string, unknown>;

/** MARC-ja's label is a ClassLabel over ["positive", "negative", "neutral"] (shunk031/JGLUE). */
const MARC_JA_LABELS = ["positive", "negative", "neutral"] as const;

export async function parquetToJsonl(source: string, rows: "marc_ja" | "arc" | "plain", label: string): Promise<Buffer> {
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
