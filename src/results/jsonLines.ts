// The one reader of JSON Lines files (samples files): each non-blank line parsed, with its
// line number for the messages of the callers' own record checks.

import { readFileSync } from "node:fs";
import { UserError } from "../util/errors.js";

/** One parsed line of a JSON Lines file. */
export interface JsonLine {
  value: unknown;
  /** 1-based, as an editor shows it. */
  lineNumber: number;
}

/**
 * The parsed non-blank lines of `file`, in order. A line that is not JSON stops the read with
 * one line naming the file, the line and `remedy` (what the user should do about it).
 */
export function readJsonLines(file: string, remedy: string): JsonLine[] {
  const lines = readFileSync(file, "utf8").split("\n");
  const out: JsonLine[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    if (line.trim() === "") continue;
    try {
      out.push({ value: JSON.parse(line) as unknown, lineNumber: i + 1 });
    } catch {
      throw new UserError("usage", `${file} line ${i + 1} is not JSON; ${remedy}`);
    }
  }
  return out;
}

/**
 * Counts the lines a reader could not use, so that they are reported (how many, and where the
 * first is) instead of skipped silently.
 */
export class UnusableLines {
  count = 0;
  first: number | null = null;

  constructor(
    private readonly file: string,
    private readonly remedy: string,
  ) {}

  add(lineNumber: number): void {
    this.count++;
    if (this.first === null) this.first = lineNumber;
  }

  /** One line naming the file, the count and the first line, when any line was unusable. */
  throwIfAny(what: string): void {
    if (this.count === 0) return;
    throw new UserError("usage", `${this.file} has ${this.count} line(s) that are not ${what} (the first: ${this.file}:${this.first}); ${this.remedy}`);
  }
}
