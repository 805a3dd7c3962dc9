// The terminal table of a run beside the paper's figures, fitted to the terminal's width: the
// full table when it fits, a narrower one without the least important columns next, and a
// stacked layout (one block of lines per task) on a narrow terminal. Widths are measured in
// terminal cells (string-width), so wide Japanese characters keep the columns aligned.

import Table from "cli-table3";
import pc from "picocolors";
import { MMLU_GROUP } from "../paper/suites.js";
import type { ResultsDocument } from "../results/document.js";
import type { Colours } from "../terminal/colour.js";
import { displayWidth, pad, truncate, widestLine } from "../terminal/width.js";

const fmt = (v: number | null | undefined): string => (v === null || v === undefined ? "–" : v.toFixed(2));
const diff = (ours: number | null, ref: number | null): string => {
  if (ours === null || ref === null) return "–";
  const d = ours - ref;
  return (d >= 0 ? "+" : "−") + Math.abs(d).toFixed(2);
};

/** The paper's two models, as the columns name them (wide, then narrow). */
const PUBLISHED = [
  { id: "rakuten-ai-7b", wide: "RakutenAI-7B", narrow: "7B" },
  { id: "rakuten-ai-7b-instruct", wide: "RakutenAI-7B-instruct", narrow: "7B-instr." },
] as const;

/** One line of the table, as text cells (uncoloured). */
interface Row {
  kind: "task" | "average";
  task: string;
  partial: boolean;
  version: string;
  shots: string;
  metric: string;
  score: string;
  stderr: string;
  n: string;
  published: { value: string; diff: string }[];
}

/** The table's rows, and the footnotes of averages that cannot be given (a task missing). */
function rows(doc: ResultsDocument): { data: Row[]; footnotes: string[] } {
  const footnotes: string[] = [];
  const out: Row[] = [];
  for (const row of doc.rakuten_eval.summary) {
    const version = row.key === MMLU_GROUP ? doc.versions[doc.group_subtasks[MMLU_GROUP]?.[0] ?? ""] ?? "" : doc.versions[row.task] ?? "";
    out.push({
      kind: "task",
      task: row.task,
      partial: row.partialData,
      version: String(version),
      shots: String(row.shots),
      metric: row.metric,
      score: fmt(row.score),
      stderr: row.stderr === null ? "" : fmt(row.stderr),
      n: String(row.n),
      published: PUBLISHED.map((p) => ({ value: fmt(row.published[p.id]), diff: diff(row.score, row.published[p.id]) })),
    });
  }
  for (const avg of doc.rakuten_eval.averages) {
    const ours = avg.rounded;
    if (ours === null) footnotes.push(`${avg.label}: n/a, ${avg.missing.length} of ${avg.tasks.length} tasks missing (${fmt(avg.partialValue)} over the rest)`);
    out.push({
      kind: "average",
      task: avg.label,
      partial: false,
      version: "",
      shots: "",
      metric: "",
      score: ours === null ? "n/a" : fmt(ours),
      stderr: "",
      n: "",
      published: PUBLISHED.map((p) => ({ value: fmt(avg.published[p.id]), diff: diff(ours, avg.published[p.id]) })),
    });
  }
  return { data: out, footnotes };
}

export interface TableOptions {
  /** Columns to fit (default 120). */
  width?: number;
  /** Colour functions (default: none). */
  colours?: Colours;
}

const PLAIN = pc.createColors(false);
const LEGEND = "7B = RakutenAI-7B, 7B-instr. = RakutenAI-7B-instruct (the paper's figures).";

/** A column of the grid layouts: its header, how a row fills it, alignment, and whether the narrow grid keeps it. */
interface Column {
  head: string;
  cell: (r: Row, c: Colours) => string;
  align: "left" | "right";
  narrow: boolean;
}

function columns(wideNames: boolean): Column[] {
  const cols: Column[] = [
    { head: "Task", cell: (r, c) => (r.kind === "average" ? c.bold(r.task) : r.task) + (r.partial ? c.yellow(" *") : ""), align: "left", narrow: true },
    { head: "Version", cell: (r) => r.version, align: "left", narrow: false },
    { head: "Shots", cell: (r) => r.shots, align: "right", narrow: true },
    { head: "Metric", cell: (r) => r.metric, align: "left", narrow: true },
    { head: "Score ± stderr", cell: (r) => `${r.score}${r.stderr ? ` ± ${r.stderr}` : ""}`, align: "right", narrow: true },
    { head: "n", cell: (r) => r.n, align: "right", narrow: true },
  ];
  for (const [i, p] of PUBLISHED.entries()) {
    cols.push(
      { head: wideNames ? p.wide : p.narrow, cell: (r) => r.published[i]!.value, align: "right", narrow: true },
      { head: "Δ", cell: (r) => r.published[i]!.diff, align: "right", narrow: true },
    );
  }
  return cols;
}

/** A boxed table (cli-table3, one line per row). */
function boxed(data: Row[], cols: Column[], c: Colours): string {
  const table = new Table({
    head: cols.map((col) => col.head),
    style: { head: [], border: [], compact: true },
    colAligns: cols.map((col) => col.align),
  });
  for (const r of data) table.push(cols.map((col) => col.cell(r, c)));
  return table.toString();
}

/** Columns separated by two spaces, a rule under the header: narrower than the box. */
function borderless(data: Row[], cols: Column[], c: Colours): string {
  const plain = data.map((r) => cols.map((col) => col.cell(r, PLAIN)));
  const coloured = data.map((r) => cols.map((col) => col.cell(r, c)));
  const widths = cols.map((col, i) => Math.max(displayWidth(col.head), ...plain.map((cells) => displayWidth(cells[i]!))));
  const line = (cells: string[]) => cells.map((cell, i) => pad(cell, widths[i]!, cols[i]!.align)).join("  ").trimEnd();
  return [line(cols.map((col) => col.head)), widths.map((w) => "─".repeat(w)).join("  "), ...coloured.map(line)].join("\n");
}


/** Stacked: per row a title line, then the figures, each line cut to the width. */
function stacked(data: Row[], width: number, c: Colours): string {
  const lines: string[] = [];
  for (const r of data) {
    const title = r.kind === "average" ? r.task : `${r.task}${r.partial ? " *" : ""}  ${[r.version && `v${r.version}`, `${r.shots}-shot`, r.metric, `n=${r.n}`].filter(Boolean).join(", ")}`;
    const score = `score ${r.score}${r.stderr ? ` ± ${r.stderr}` : ""}`;
    const published = PUBLISHED.map((p, i) => `${p.narrow} ${r.published[i]!.value} (Δ ${r.published[i]!.diff})`);
    const titled = truncate(title, width);
    lines.push(r.kind === "average" ? c.bold(titled) : r.partial ? titled.replace(/ \*/, c.yellow(" *")) : titled);
    // The figures on one line when they fit, else one per line.
    const one = `  ${[score, ...published].join(" · ")}`;
    if (displayWidth(one) <= width) lines.push(one);
    else for (const part of [score, ...published]) lines.push(truncate(`  ${part}`, width));
  }
  return lines.join("\n");
}

/** The terminal table: one row per paper column (and extra task), then the suite averages. */
export function renderResultsTable(doc: ResultsDocument, options: TableOptions = {}): string {
  const width = options.width ?? 120;
  const c = options.colours ?? PLAIN;
  const { data, footnotes } = rows(doc);
  const scale = "Scores are 0–100 (accuracy, exact match, ROUGE-2, mc2 in percent); ± is the standard error; Δ = this run − the paper's figure.";
  const full = columns(true);
  const narrow = columns(false).filter((col) => col.narrow);
  // The widest layout that fits: boxed, then borderless, then without the version and with short
  // headers, then one block of lines per row.
  const layouts: [() => string, string | null][] = [
    [() => boxed(data, full, PLAIN), null],
    [() => borderless(data, full, PLAIN), null],
    [() => borderless(data, narrow, PLAIN), LEGEND],
  ];
  const render = [() => boxed(data, full, c), () => borderless(data, full, c), () => borderless(data, narrow, c)];
  let body: string | undefined;
  for (const [i, [plain, legend]] of layouts.entries()) {
    if (widestLine(plain()) <= width) {
      body = render[i]!() + (legend ? `\n${wrap(legend, width)}` : "");
      break;
    }
  }
  body ??= `${stacked(data, width, c)}\n${wrap(LEGEND, width)}`;
  const lines = [wrap(scale, width), body];
  for (const f of footnotes) lines.push(wrap(f, width));
  if (data.some((r) => r.partial)) lines.push(wrap(`${c.yellow("*")} partial data: scores not comparable with the paper`, width));
  return lines.join("\n");
}

/** Word-wraps a line of prose to the width. */
export function wrap(text: string, width: number): string {
  const out: string[] = [];
  let line = "";
  for (const word of text.split(" ")) {
    const next = line === "" ? word : `${line} ${word}`;
    if (displayWidth(next) > width && line !== "") {
      out.push(line);
      line = word;
    } else line = next;
  }
  if (line !== "") out.push(line);
  return out.join("\n");
}
