// The width a table must fit: the terminal's columns, else $COLUMNS (a pipe, a CI log), else a default.

import stringWidth from "string-width";

/**
 * Columns available on `stream`: its own size on a TTY, else `COLUMNS`, else 80 on a terminal
 * that does not say (a pseudo-terminal of size 0) and 120 in a pipe or a file.
 */
export function terminalWidth(stream: { isTTY?: boolean; columns?: number }, env: NodeJS.ProcessEnv = process.env): number {
  if (stream.isTTY && typeof stream.columns === "number" && stream.columns > 0) return stream.columns;
  const fromEnv = Number(env.COLUMNS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return stream.isTTY ? 80 : 120;
}

/** Display width of a string in terminal cells (wide Japanese characters count 2, colour codes 0). */
export function displayWidth(text: string): number {
  return stringWidth(text);
}

/** The widest line of a block, in terminal cells (colour codes count 0). */
export function widestLine(block: string): number {
  return Math.max(0, ...block.split("\n").map((line) => stringWidth(line)));
}

/** Pads to `width` cells on the right (left-aligned) or left (right-aligned). */
export function pad(text: string, width: number, align: "left" | "right" = "left"): string {
  const fill = " ".repeat(Math.max(0, width - stringWidth(text)));
  return align === "left" ? text + fill : fill + text;
}

const COLOUR_CODE = /(\u001b\[[0-9;]*m)/;
const graphemes = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/**
 * Cuts a string to at most `width` cells, ending in "…" when cut. Linear in the text's length:
 * each grapheme's width is added to a running total (measuring the growing prefix again for
 * every character made a 100,000-character label take minutes).
 */
export function truncate(text: string, width: number): string {
  if (stringWidth(text) <= width) return text;
  let out = "";
  let used = 0;
  for (const part of text.split(COLOUR_CODE)) {
    if (COLOUR_CODE.test(part)) {
      out += part; // zero width
      continue;
    }
    for (const { segment } of graphemes.segment(part)) {
      const cells = stringWidth(segment);
      if (used + cells > width - 1) return out + "…";
      out += segment;
      used += cells;
    }
  }
  return out + "…";
}
