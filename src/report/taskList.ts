// The `tasks` listing on a terminal, fitted to its width: a boxed table whose two prose columns
// (few-shot source, data status) take the room left by the short ones and wrap inside it; where
// even that does not fit (an 80-column terminal), one block of lines per task, each line wrapped
// with an indent. No line is ever wider than the width.

import Table from "cli-table3";
import { displayWidth } from "../terminal/width.js";
import { wrap } from "./table.js";

/** One task as listed: the fields of the catalogue's row that are shown (inspect/catalogue.ts extends it). */
export interface TaskListRow {
  name: string;
  aliases: string[];
  suite: string;
  version: string;
  metric: string;
  defaultShots: number;
  fewshotSource: string;
  /** present | partial | missing | mismatch, for the eval split and the few-shot split. */
  data: string;
}

const HEAD = ["Task", "Aliases", "Suite", "Version", "Metric", "Shots", "Few-shot source", "Data"];
/** Narrowest useful widths of the wrapped columns (cell text, without padding). */
const MIN_SOURCE = 24;
const MIN_DATA = 16;

function cells(r: TaskListRow): string[] {
  return [r.name, r.aliases.join(", "), r.suite, r.version, r.metric, String(r.defaultShots), r.fewshotSource, r.data];
}

/** The boxed table with the prose columns sized to fill `width`, or null when they would be too narrow. */
function boxed(rows: TaskListRow[], width: number): string | null {
  const all = [HEAD, ...rows.map(cells)];
  // The short columns at their natural width (aliases wrap at their commas only when needed).
  const natural = (i: number) => Math.max(...all.map((row) => Math.max(...row[i]!.split(", ").map((part, k, parts) => displayWidth(k < parts.length - 1 ? `${part},` : part)))));
  const short = [0, 1, 2, 3, 4, 5].map(natural);
  // Each column pads one cell on either side; the box draws one border more than columns.
  const borders = HEAD.length + 1;
  const room = width - borders - short.reduce((a, w) => a + w + 2, 0) - 2 * 2;
  if (room < MIN_SOURCE + MIN_DATA) return null;
  const dataWidth = Math.max(MIN_DATA, Math.min(Math.max(...all.map((row) => displayWidth(row[7]!))), Math.floor(room / 3)));
  const sourceWidth = Math.min(room - dataWidth, Math.max(...all.map((row) => displayWidth(row[6]!))));
  const table = new Table({
    head: HEAD,
    style: { head: [], border: [] },
    colWidths: [...short, sourceWidth, dataWidth].map((w) => w + 2),
    wordWrap: true,
  });
  for (const r of rows) table.push(cells(r));
  return table.toString();
}

/** Wraps `text` to `width`: the first line indented by `first` spaces, the rest by `rest` (≥ first). */
function hanging(text: string, width: number, first: number, rest: number): string {
  return wrap(text, width - rest)
    .split("\n")
    .map((line, i) => " ".repeat(i === 0 ? first : rest) + line)
    .join("\n");
}

/** One block per task: name and aliases, then the short fields, the few-shot source and the data. */
function stacked(rows: TaskListRow[], width: number): string {
  const blocks = rows.map((r) => {
    const title = r.aliases.length > 0 ? `${r.name} (${r.aliases.join(", ")})` : r.name;
    return [
      hanging(title, width, 0, 2),
      hanging(`${r.suite} · v${r.version} · ${r.metric} · ${r.defaultShots}-shot`, width, 2, 4),
      hanging(`few-shot: ${r.fewshotSource}`, width, 2, 4),
      hanging(`data: ${r.data}`, width, 2, 4),
    ].join("\n");
  });
  return blocks.join("\n");
}

/** The listing fitted to `width` columns: boxed when the prose columns get room enough, else stacked. */
export function renderTaskList(rows: TaskListRow[], width: number): string {
  return boxed(rows, width) ?? stacked(rows, width);
}
