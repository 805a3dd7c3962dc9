// The three ways `compare` prints a Comparison: a terminal table, Markdown (for a pull
// request comment or a job summary) and JSON (for machines).

import Table from "cli-table3";
import pc from "picocolors";
import type { Comparison, ComparisonRow } from "../compare/comparisonTypes.js";
import type { TestKind } from "../compare/tests.js";
import type { Colours } from "../terminal/colour.js";
import { truncate, widestLine } from "../terminal/width.js";
import { wrap } from "./table.js";

const PLAIN = pc.createColors(false);

export type CompareFormat = "table" | "markdown" | "json";

const TEST_LABELS: Record<TestKind, string> = {
  "mcnemar-exact": "McNemar exact (paired)",
  "paired-bootstrap": "bootstrap (paired)",
  "paired-bootstrap-stratified": "bootstrap by subject (paired)",
  "fisher-exact": "Fisher exact (unpaired)",
  "normal-unpaired": "normal (unpaired)",
  "normal-combined": "normal over columns",
  none: "–",
};

export const fmtScore = (v: number | null): string => (v === null ? "–" : v.toFixed(2));
export const fmtSigned = (v: number | null): string => (v === null ? "–" : `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(2)}`);
export const fmtP = (p: number | null): string => (p === null ? "–" : p >= 0.001 ? p.toFixed(3) : p < 1e-300 ? "<1e-300" : p.toExponential(1));
const fmtCi = (ci: [number, number] | null): string => (ci === null ? "–" : `[${fmtSigned(ci[0])}, ${fmtSigned(ci[1])}]`);

/** MDD: "none" when the row was tested but no drop of any size is detectable. */
const fmtDrop = (r: ComparisonRow): string => (r.minimalDetectable !== null ? r.minimalDetectable.toFixed(2) : r.underpowered ? "none" : "–");

/** What qualifies a verdict, in words short enough for the gate cell. */
function flagText(r: ComparisonRow): string[] {
  return r.flags.map((f) =>
    f === "absent"
      ? "absent"
      : f === "absent allowed"
        ? "absent, allowed"
        : f === "not after Holm"
          ? "not after Holm"
          : r.minimalDetectable === null
            ? "no drop detectable"
            : `MDD ${r.minimalDetectable.toFixed(2)}`,
  );
}

function verdict(r: ComparisonRow): string {
  const base = r.verdict === "missing" ? "–" : r.verdict;
  const flags = flagText(r);
  return flags.length === 0 ? base : `${base} (${flags.join("; ")})`;
}

function rowName(r: ComparisonRow): string {
  return r.kind === "average" ? r.label : r.tasks.new ?? r.tasks.baseline ?? r.key;
}

function header(c: Comparison): string[] {
  return ["Task", "Metric", c.baseline.label, c.new.label, "Δ", "CI", "p", c.rule === "drop" ? "p gate (Holm)" : "p gate", `MDD`, "Test", "Max drop", "Gate"];
}

const ALIGNS = ["left", "left", "right", "right", "right", "right", "right", "right", "right", "left", "right", "left"] as const;

/** A bootstrap p of 0 means no resample crossed 0: below the resolution 1/B. */
function pCell(c: Comparison, r: ComparisonRow, p: number | null): string {
  if (p === 0 && r.test.startsWith("paired-bootstrap")) return `<${fmtP(1 / c.bootstrap.iterations)}`;
  return fmtP(p);
}

/** Δ red for a drop that failed the gate, green for a gain significant at alpha (unadjusted, shown only), plain otherwise. */
function diffCell(r: ComparisonRow, k: Colours): string {
  const text = fmtSigned(r.diff);
  if (r.diff === null || r.notComparable) return text;
  if (r.failed && r.diff < 0) return k.red(text);
  return r.diff > 0 && r.ci !== null && r.ci[0] > 0 ? k.green(text) : text;
}

/** The gate column: FAIL red and bold, not comparable yellow, pass green. */
function verdictCell(r: ComparisonRow, k: Colours): string {
  const text = verdict(r);
  if (r.verdict === "FAIL") return k.bold(k.red(text));
  if (r.verdict === "not comparable") return k.yellow(text);
  if (r.verdict === "pass") return k.green(text);
  return text;
}

function cells(c: Comparison, r: ComparisonRow, k: Colours = PLAIN): string[] {
  return [
    rowName(r),
    r.metric,
    fmtScore(r.baselineScore),
    fmtScore(r.newScore),
    diffCell(r, k),
    fmtCi(r.ci),
    pCell(c, r, r.pValue),
    pCell(c, r, r.pAdjusted),
    fmtDrop(r),
    TEST_LABELS[r.test],
    r.maxDrop.toString(),
    verdictCell(r, k),
  ];
}

/** One line saying whether the gate passed, naming the rows that failed it and why. */
export function gateLine(c: Comparison): string {
  const absent = c.rows.filter((r) => r.failed && r.absent !== null);
  const failed = c.rows.filter((r) => r.failed && r.absent === null);
  const allowedAbsent = c.rows.filter((r) => r.flags.includes("absent allowed"));
  const at =
    c.rule === "drop"
      ? `at alpha = ${c.alpha} (Holm over ${c.adjustment.family} tested row${c.adjustment.family === 1 ? "" : "s"})`
      : `at alpha = ${c.alpha} (non-inferiority: every row on its own)`;
  const parts: string[] = [];
  if (absent.length > 0) {
    const names = absent.map((r) => rowName(r));
    parts.push(`${absent.length} absent from the new run: ${absent.map((r) => `${rowName(r)} (${r.absent})`).join("; ")}; to gate without ${absent.length > 1 ? "them" : "it"}, pass --allow-missing ${names.filter((_, i) => absent[i]!.kind === "task").join(",") || names.join(",")}`);
  }
  if (failed.length > 0) {
    const list = failed.map((r) => `${rowName(r)} ${fmtSigned(r.diff)} ${fmtCi(r.ci)} (max drop ${r.maxDrop}, p gate = ${fmtP(r.pAdjusted)})`);
    parts.push(
      c.rule === "drop"
        ? `${failed.length} drop(s) larger than allowed ${at}: ${list.join("; ")}`
        : `${failed.length} row(s) not shown to have dropped by less than allowed ${at}: ${list.join("; ")}`,
    );
  }
  const also = allowedAbsent.length > 0 ? ` Absent from the new run, allowed: ${allowedAbsent.map((r) => rowName(r)).join(", ")}.` : "";
  if (c.notComparable) return `Gate NOT PASSED: not comparable: ${c.notComparable}.${parts.length > 0 ? ` Also ${parts.join(". ")}.` : ""}`;
  if (parts.length > 0) return `Gate FAILED: ${parts.join(". ")}.${also}`;
  if (c.rule === "drop") return `Gate passed: no row shows a drop larger than allowed ${at}.${also}`;
  return `Gate passed: every row shows a drop smaller than its max drop ${at}.${also}`;
}

/** The decision rule, for the output's footer. */
export function ruleLine(c: Comparison): string {
  const common =
    `Δ = new − baseline in points (0–100), over the docs both runs scored when paired (an average: the mean of its columns' Δ). Each row's p, p gate and CI come from one test (exact McNemar and its inverted exact interval for 0/1 metrics, one paired bootstrap distribution otherwise, Fisher's exact test against the paper); p is for "no difference". `;
  const rule =
    c.rule === "drop"
      ? `A row fails when it shows a drop larger than its max drop: p gate tests "dropped by at most the max drop", Holm-adjusted over the ${c.adjustment.family} tested rows, and the CI is drawn at the level the row is tested at, so it lies wholly below −(max drop) exactly when p gate < ${c.alpha}. `
      : `Non-inferiority: a row passes only when it shows a drop smaller than its max drop — the CI at ${c.alpha} lies wholly above −(max drop) (p gate < ${c.alpha}) — and its test could have detected a drop of the max drop (MDD ≤ max drop). `;
  return (
    common +
    rule +
    `A row absent from the new run fails unless --allow-missing names it. MDD is the smallest drop the row's test detects with ${Math.round(c.power * 100)}% power at alpha = ${c.alpha}; "(MDD x)" in the gate column marks a row whose test could not have seen a drop of its max drop.`
  );
}

/** The comparison's and the rows' notes, each once; a row's notes are prefixed with its name. */
function rowNotes(c: Comparison): string[] {
  const out: string[] = [...c.allowed.map((a) => `allowed: ${a}`), ...c.notes];
  for (const r of c.rows) {
    const name = rowName(r);
    for (const n of r.notes) out.push(n.startsWith(`${name}:`) ? n : `${name}: ${n}`);
    if (r.notComparable && r.notComparable !== c.notComparable && !c.allowed.includes(r.notComparable)) out.push(`${name}: not comparable: ${r.notComparable.startsWith(`${name}:`) ? r.notComparable.slice(name.length + 1).trim() : r.notComparable}`);
  }
  return [...new Set(out)];
}

const nats = (v: number): string => (v === 0 ? "0" : Math.abs(v) >= 0.01 ? v.toFixed(3) : v.toExponential(2));

/** The quantisation section: one line per task, then the largest disagreements. */
function agreementLines(c: Comparison, md: boolean): string[] {
  if (!c.agreement) return [];
  const lines: string[] = [];
  const perToken = c.agreementPerToken;
  const tokenNote = perToken
    ? "per token = |Δ| / the continuation's tokens under the run's tokenization rule (--tokenizer), nats per token"
    : "per token: needs --tokenizer FILE.gguf, the evaluated model's vocabulary";
  const head = `Answer agreement (chosen answer = argmax log-likelihood; |Δ| = |log-likelihood(new) − log-likelihood(baseline)| per choice, nats; ${tokenNote}):`;
  if (c.agreement.length === 0) return [md ? `_${head} no task has loglikelihood samples in both runs._` : `agreement: no task has loglikelihood samples in both runs.`];
  const tokenHead = perToken ? " Mean abs Δ/token | Max abs Δ/token |" : "";
  if (md) lines.push(`**${head}**`, "", `| Task | Docs | Same answer | Agreement | Mean abs Δ | Max abs Δ |${tokenHead}`, `|---|---:|---:|---:|---:|---:|${perToken ? "---:|---:|" : ""}`);
  else lines.push(head);
  for (const a of c.agreement) {
    const cells = [a.task, String(a.docs), String(a.sameChoice), `${(a.agreement * 100).toFixed(1)}%`, nats(a.meanAbsDelta), nats(a.maxAbsDelta)];
    const t = a.perToken;
    if (perToken) cells.push(t ? nats(t.meanAbsDelta) : "–", t ? nats(t.maxAbsDelta) : "–");
    const tokenText = !perToken ? "" : t ? `; per token mean |Δ| ${cells[6]}, max |Δ| ${cells[7]} over ${t.tokens} tokens` : "; per token: – (a request does not record its tokenization rule)";
    lines.push(md ? `| ${cells.map(mdCell).join(" | ")} |` : `  ${a.task}: ${a.sameChoice}/${a.docs} same answer (${cells[3]}), mean |Δ| ${cells[4]}, max |Δ| ${cells[5]} over ${a.choices} choices${tokenText}`);
  }
  const worst = c.agreement.flatMap((a) => a.largestDisagreements);
  if (worst.length > 0) {
    lines.push(md ? "" : "largest disagreements (doc: new's choice vs baseline's; log-likelihoods new | baseline):");
    if (md) lines.push("| Task | Doc | New's choice | Baseline's choice | New: ll(new's), ll(baseline's) | Baseline: ll(new's), ll(baseline's) | Max abs Δ |", "|---|---:|---|---|---:|---:|---:|");
    for (const d of worst) {
      const ll = (p: [number, number]) => `${p[0].toFixed(3)}, ${p[1].toFixed(3)}`;
      const cells = [d.task, String(d.docId), `${d.newChoice.index}: ${d.newChoice.text}`, `${d.baselineChoice.index}: ${d.baselineChoice.text}`, ll(d.newLogprobs), ll(d.baselineLogprobs), nats(d.maxAbsDelta)];
      lines.push(md ? `| ${cells.map(mdCell).join(" | ")} |` : `  ${d.task} doc ${d.docId}: ${cells[2]} vs ${cells[3]}; new ${cells[4]} | baseline ${cells[5]}; max |Δ| ${cells[6]}`);
    }
  }
  return lines;
}

/** Provenance lines, shown before the statistics: what differs, and the assessment. */
function provenanceLines(c: Comparison): string[] {
  const p = c.provenance;
  if (!p) return [];
  const differ = p.rows.filter((r) => r.differs);
  const lines = [`provenance: ${p.message}.`];
  const short = (v: string): string => (/^[0-9a-f]{64}$/.test(v) ? `${v.slice(0, 12)}…` : v);
  for (const r of differ) lines.push(`  ${r.what}: ${short(r.baseline)} → ${short(r.new)}${r.changesNumbers ? "" : " (does not change scores)"}`);
  return lines;
}

/** The gate line coloured: failed red, not comparable yellow, passed green. */
function colouredGateLine(c: Comparison, k: Colours): string {
  const line = gateLine(c);
  if (c.notComparable) return k.yellow(line);
  return c.failed ? k.bold(k.red(line)) : k.green(line);
}

/**
 * Column sets tried in turn until the table fits the width: all twelve, then without the test's
 * name, MDD and the unadjusted p, then the six a gate's reader needs (task, both scores, Δ,
 * p gate, gate). Narrower than that, each row becomes a few lines (`stackedRows`).
 */
const COLUMN_SETS: readonly (readonly number[])[] = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11],
  [0, 1, 2, 3, 4, 5, 7, 10, 11],
  [0, 2, 3, 4, 7, 11],
];

function cliTable(c: Comparison, columns: readonly number[], colours: Colours): string {
  const pick = <T>(values: readonly T[]): T[] => columns.map((i) => values[i]!);
  const table = new Table({ head: pick(header(c)), style: { head: [], border: [], compact: true }, colAligns: pick(ALIGNS) });
  for (const r of c.rows) table.push(pick(cells(c, r, colours)));
  return table.toString();
}

/** Per row: its name and metric, then its figures, each line within `width`. */
function stackedRows(c: Comparison, width: number, colours: Colours): string {
  const h = header(c);
  const lines: string[] = [];
  for (const r of c.rows) {
    const v = cells(c, r, colours);
    // The verdict and what qualifies it are wrapped, never cut: they are what the gate's reader needs.
    lines.push(...wrap(`${v[0]} (${v[1]}): ${v[11]}`, Math.max(1, width - 4)).split("\n").map((line, i) => (i === 0 ? truncate(line, width) : `    ${line}`)));
    const figures = `${h[2]} ${v[2]} → ${h[3]} ${v[3]}, Δ ${v[4]} ${v[5]}, ${h[7]} ${v[7]}, max drop ${v[10]}`;
    lines.push(...wrap(figures, Math.max(1, width - 4)).split("\n").map((line, i) => (i === 0 ? `  ${line}` : `    ${line}`)));
  }
  return lines.join("\n");
}

/**
 * The terminal form. `width` (terminal cells; `compare` passes the terminal's) fits the table to
 * it (see COLUMN_SETS) and word-wraps the prose; without it nothing is cut or wrapped.
 */
export function renderComparisonTable(c: Comparison, colours: Colours = PLAIN, width?: number): string {
  let table: string | undefined;
  for (const columns of COLUMN_SETS) {
    const candidate = cliTable(c, columns, colours);
    if (width === undefined || widestLine(candidate) <= width) {
      table = candidate;
      break;
    }
  }
  table ??= stackedRows(c, width!, colours);
  const lines = [`new: ${c.new.label} (${c.new.source})`, `baseline: ${c.baseline.label} (${c.baseline.source})`, ...provenanceLines(c)];
  for (const a of c.allowed) lines.push(colours.yellow(`allowed: ${a}`));
  lines.push(table, colouredGateLine(c, colours), ruleLine(c), ...agreementLines(c, false));
  for (const n of rowNotes(c)) if (!n.startsWith("allowed: ")) lines.push(`note: ${n}`);
  if (width === undefined) return lines.join("\n");
  return lines.map((line) => (line === table ? line : wrapIndented(line, width))).join("\n");
}

/** Word-wraps a line, keeping its leading indentation on every piece. */
function wrapIndented(line: string, width: number): string {
  const indent = /^ */.exec(line)![0];
  return wrap(line.slice(indent.length), Math.max(1, width - indent.length)).split("\n").map((piece) => indent + piece).join("\n");
}

const mdCell = (s: string): string => s.replace(/\\/g, "\\\\").replace(/\|/g, "\\|").replace(/\n/g, " ");

export function renderComparisonMarkdown(c: Comparison): string {
  const h = header(c);
  const lines: string[] = [`### rakuten-eval: ${mdCell(c.new.label)} vs ${mdCell(c.baseline.label)}`, "", `${c.failed ? "❌" : "✅"} ${gateLine(c)}`, ""];
  if (c.provenance) {
    const p = c.provenance;
    lines.push(`**Provenance**: ${mdCell(p.message)}.`, "");
    const differ = p.rows.filter((r) => r.differs);
    if (differ.length > 0) {
      lines.push(`| What differs | ${mdCell(c.baseline.label)} | ${mdCell(c.new.label)} | Changes scores |`, "|---|---|---|---|");
      for (const r of differ) lines.push(`| ${mdCell(r.what)} | \`${mdCell(r.baseline)}\` | \`${mdCell(r.new)}\` | ${r.changesNumbers ? "yes" : "no"} |`);
      lines.push("");
    }
  }
  for (const a of c.allowed) lines.push(`> ⚠️ allowed: ${mdCell(a)}`, "");
  lines.push(`| ${h.map(mdCell).join(" | ")} |`, `|${ALIGNS.map((a) => (a === "right" ? "---:" : "---")).join("|")}|`);
  for (const r of c.rows) {
    const row = cells(c, r).map(mdCell);
    if (r.kind === "average") row[0] = `**${row[0]}**`;
    if (r.failed) row[row.length - 1] = `**${row[row.length - 1]}**`;
    lines.push(`| ${row.join(" | ")} |`);
  }
  lines.push("", `New: \`${mdCell(c.new.source)}\`. Baseline: \`${mdCell(c.baseline.source)}\`. ${ruleLine(c)}`);
  const agreement = agreementLines(c, true);
  if (agreement.length > 0) lines.push("", ...agreement);
  const notes = rowNotes(c).filter((n) => !n.startsWith("allowed: "));
  if (notes.length > 0) {
    lines.push("", "<details><summary>Notes</summary>", "");
    for (const n of notes) lines.push(`- ${mdCell(n)}`);
    lines.push("", "</details>");
  }
  return lines.join("\n") + "\n";
}

/** `colours` and `width` apply to the terminal table only (Markdown and JSON stay plain and whole). */
export function renderComparison(c: Comparison, format: CompareFormat, colours: Colours = PLAIN, width?: number): string {
  if (format === "json") return JSON.stringify(c, null, 2);
  if (format === "markdown") return renderComparisonMarkdown(c);
  return renderComparisonTable(c, colours, width);
}
