import { CsvError, parse } from "csv-parse/sync";
import { DatasetError } from "../util/errors.js";

/**
 * CSV and TSV rows as Python's `csv.reader` (excel dialect, `strict=False`; `delimiter="\t"` for
 * TSV, quoting left at its default) yields them, which is how the reference loaders read these
 * files (HF `hendrycks_test.py`: `csv.reader` over the archive's lines; `juletxara/mgsm`: the TSV
 * with `delimiter="\t"`):
 * - a field that starts with `"` is quoted: it may hold delimiters, newlines (`\r\n` kept as is)
 *   and doubled quotes `""` standing for one `"` (`relax_quotes` off would refuse the next point);
 * - a `"` anywhere else is an ordinary character (`a"b` stays `a"b`: `relax_quotes`);
 * - rows end at `\r\n`, `\n` or `\r`, mixed in one file (csv-parse would otherwise take the first
 *   line's ending for the whole file); the last row needs no line end;
 * - rows may differ in length (`relax_column_count`): callers check the count and name the row;
 * - spaces are kept, nothing is cast (`None`, `NA` and empty fields stay strings), a BOM is kept.
 * Python yields `[]` for a blank line; we skip it (`skip_empty_lines`), as every caller did.
 *
 * Two deliberate differences, on malformed input only (neither occurs in any dataset file, see
 * test/datasets-delimited.test.ts): a quoted field still open at the end of the file is an error
 * (Python's non-strict reader returns it: a truncated download), and text after a closing quote
 * (`"ab"cd`) is kept with its quotes (`"ab"cd`) where Python drops them (`abcd`).
 */
export function parseDelimitedRows(text: string, delimiter: "," | "\t", file: string): string[][] {
  try {
    return parse(text, {
      delimiter,
      quote: '"',
      escape: '"',
      record_delimiter: ["\r\n", "\n", "\r"],
      relax_quotes: true,
      relax_column_count: true,
      skip_empty_lines: true,
      bom: false,
      trim: false,
      cast: false,
    }) as string[][];
  } catch (e) {
    if (!(e instanceof CsvError)) throw e;
    // csv-parse counts lines from 1 and names the line where the problem was seen.
    const line = typeof e.lines === "number" ? `:${e.lines}` : "";
    const what = e.code === "CSV_QUOTE_NOT_CLOSED" ? `unterminated quoted field (${e.message})` : e.message;
    throw new DatasetError("parse", file, `${file}${line}: ${what}; re-download the file.`);
  }
}
