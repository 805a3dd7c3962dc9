// Compare a new run against a baseline (another run or the paper's figures), per paper
// column and per suite average, each row with its test (gate.ts then decides the regression gate).
//
// Paired when possible: two runs that scored the same docs of the same task are compared doc
// by doc (exact McNemar for 0/1 metrics, a seeded paired bootstrap otherwise). Testing paired
// data as if it were two independent samples — what the peers' comparison scripts do —
// overstates the noise and hides real regressions, so the unpaired tests are only the fallback
// for a published baseline (no per-doc results) or runs over different docs.

import { UserError } from "../util/errors.js";
import { columnOf, PAPER_AVERAGES, SUITE_IDS, suiteColumnKeys, suiteOfColumn, type PaperAverage } from "../paper/suites.js";
import type { RunScores } from "../results/read.js";
import { agreementOf } from "./agreement.js";
import { checkComparable } from "./comparable.js";
import { pairTask } from "./pairing.js";
import { provenanceOf } from "./provenance.js";
import { meanOfIndependentTested } from "./stats.js";
import { detectableDrop, minimalDetectable, POWER } from "./power.js";
import { pairedTest, unpairedTest, withSampleSe } from "./tests.js";
import type { Comparison, CompareOptions, DraftRow } from "./comparisonTypes.js";
import { decide, maxDropFor, nothingTestedReason, resolveOverrides } from "./gate.js";
import { absenceReason, namedBy, resolveNames, selectedByNewRun } from "./missing.js";

function compareTaskRow(key: string, newRun: RunScores, baseRun: RunScores, options: CompareOptions, mismatch: string | undefined): DraftRow {
  const newRow0 = newRun.rows.find((r) => r.key === key) ?? null;
  const baseRow0 = baseRun.rows.find((r) => r.key === key) ?? null;
  const notes: string[] = [];
  const base = {
    kind: "task" as const,
    key,
    label: columnOf(key)?.label ?? key,
    suite: suiteOfColumn(key),
    tasks: { new: newRow0?.task ?? null, baseline: baseRow0?.task ?? null },
    metric: newRow0?.metric ?? baseRow0?.metric ?? "",
    newScore: newRow0?.score ?? null,
    baselineScore: baseRow0?.score ?? null,
    n: { new: newRow0?.n ?? null, baseline: baseRow0?.n ?? null },
    maxDrop: maxDropFor([newRow0?.task ?? null, baseRow0?.task ?? null, key], options),
    notComparable: mismatch ?? null,
    // Against the paper, a column the new run never selected is not expected of it.
    absent: baseRow0 && !newRow0 && (baseRun.kind === "run" || selectedByNewRun(newRun, key)) ? absenceReason(newRun, baseRun, key, baseRow0.task) : null,
    absentAllowed: false,
  };
  if (!newRow0 || !baseRow0) {
    notes.push(newRow0 ? "not in the baseline" : "not in the new run");
    return { ...base, diff: null, se: null, pValue: null, test: "none", paired: false, minimalDetectable: null, notes, tested: null };
  }
  if (newRow0.metric !== baseRow0.metric) notes.push(`different metrics (${baseRow0.metric} → ${newRow0.metric})`);
  const pairing = pairTask(newRun, baseRun, newRow0, baseRow0, notes);
  const outcome = pairing
    ? pairedTest(pairing, newRow0.metric, options, notes)
    : unpairedTest(withSampleSe(newRun, newRow0), withSampleSe(baseRun, baseRow0), baseRun.kind, options, notes);
  const t = outcome.tested;
  return {
    ...base,
    diff: t ? t.diff : newRow0.score - baseRow0.score,
    se: t?.se ?? null,
    pValue: t?.pValue ?? null,
    test: outcome.test,
    paired: outcome.paired,
    ...(pairing ? { docs: pairing.docs } : {}),
    ...(outcome.discordant ? { discordant: outcome.discordant } : {}),
    minimalDetectable: outcome.minimalDetectable,
    notes,
    tested: t,
  };
}

/** Docs left out of the paired test of each column that left any out, for the average's note. */
function leftOutDocs(parts: readonly DraftRow[]): string[] {
  return parts.filter((p) => p.docs && p.docs.newOnly + p.docs.baselineOnly > 0).map((p) => `${p.tasks.new ?? p.key} ${p.docs!.newOnly + p.docs!.baselineOnly}`);
}

function compareAverageRow(def: PaperAverage, newRun: RunScores, baseRun: RunScores, taskRows: DraftRow[], options: CompareOptions): DraftRow | null {
  const a = newRun.averages.find((x) => x.id === def.id);
  const b = baseRun.averages.find((x) => x.id === def.id);
  if (!a && !b) return null;
  const notes: string[] = [];
  const newScore = a?.value ?? null;
  const baselineScore = b?.value ?? null;
  const parts = def.columns.map((k) => taskRows.find((r) => r.key === k));
  const mismatched = parts.filter((p) => p?.notComparable).map((p) => p!.key);
  // Absent when the new run lacks a column the baseline has (and, against the paper, one it set out to score).
  const absentParts = parts.filter((p): p is DraftRow => p !== undefined && p.absent !== null);
  const row = {
    kind: "average" as const,
    key: def.id,
    label: def.label,
    suite: def.suite,
    tasks: { new: null, baseline: null },
    metric: "mean",
    newScore,
    baselineScore,
    n: { new: null, baseline: null },
    maxDrop: maxDropFor([def.id], options),
    notComparable: mismatched.length > 0 ? `averages columns whose settings differ (${mismatched.join(", ")})` : null,
    absent: newScore === null && baselineScore !== null && absentParts.length > 0 ? `its column${absentParts.length > 1 ? "s" : ""} ${absentParts.map((p) => p.tasks.baseline ?? p.key).join(", ")} absent from the new run` : null,
    absentAllowed: false,
  };
  const none = { se: null, pValue: null, test: "none" as const, paired: false, minimalDetectable: null, tested: null };
  if (newScore === null || baselineScore === null) {
    notes.push(`${newScore === null ? "the new run" : "the baseline"} has no value for this average (a column is missing)`);
    return { ...row, ...none, diff: null, notes };
  }
  if (parts.some((p) => !p || p.tested === null || p.diff === null)) {
    notes.push("a column has no standard error; average not tested");
    return { ...row, ...none, diff: newScore - baselineScore, notes };
  }
  // The tasks are independent datasets: the mean of the columns' differences, each over the docs
  // its own test used, tested on their standard errors under "no difference" (Σ se0²) / k².
  const tested = meanOfIndependentTested(parts.map((p) => ({ diff: p!.diff!, nullSe: p!.tested!.nullSe })));
  if (!tested) {
    notes.push("the columns' standard errors are all 0 while their differences are not; average not tested");
    return { ...row, ...none, diff: newScore - baselineScore, notes };
  }
  const paired = parts.every((p) => p!.paired);
  notes.push(`normal test of the mean of the ${def.columns.length} columns' Δ on their standard errors under no difference (${paired ? "all paired" : "some unpaired"})`);
  const ofAverages = newScore - baselineScore;
  if (Math.abs(tested.diff - ofAverages) >= 0.005) {
    const left = leftOutDocs(parts as DraftRow[]);
    notes.push(
      `Δ ${tested.diff.toFixed(2)} is the mean of the columns' Δ over the docs each was tested on${left.length > 0 ? ` (docs scored by one run only, left out: ${left.join(", ")})` : ""}, not the difference of the two averages (${ofAverages.toFixed(2)})`,
    );
  }
  return {
    ...row,
    diff: tested.diff,
    se: tested.se,
    pValue: tested.pValue,
    test: "normal-combined",
    paired,
    minimalDetectable: detectableDrop(minimalDetectable(tested.nullSe, options.alpha)),
    notes,
    tested,
  };
}

/**
 * Rows absent from the new run that --allow-missing names are allowed; so is an average whose
 * absent columns are all allowed. Unknown names are an input error.
 */
function allowAbsences(drafts: DraftRow[], options: CompareOptions): void {
  const allowed = new Set(resolveNames(drafts, options.allowMissing ?? [], "--allow-missing").values());
  for (const d of drafts) if (d.kind === "task" && d.absent !== null) d.absentAllowed = namedBy(d, allowed);
  for (const d of drafts) {
    if (d.kind !== "average" || d.absent === null) continue;
    const def = PAPER_AVERAGES.find((x) => x.id === d.key)!;
    const absentParts = drafts.filter((p) => p.kind === "task" && def.columns.includes(p.key) && p.absent !== null);
    d.absentAllowed = namedBy(d, allowed) || absentParts.every((p) => p.absentAllowed);
  }
}

export function compareRuns(newRun: RunScores, baseRun: RunScores, options: CompareOptions): Comparison {
  if (!(options.alpha > 0 && options.alpha < 1)) throw new UserError("usage", `--alpha ${options.alpha} must lie strictly between 0 and 1 (e.g. 0.05).`);
  for (const [k, v] of Object.entries({ "--max-drop": options.maxDrop, ...Object.fromEntries(Object.entries(options.maxDropTask).map(([t, d]) => [`--max-drop-task ${t}`, d])) })) {
    if (!Number.isFinite(v) || v < 0) throw new UserError("usage", `${k} ${v} must be a non-negative number of points.`);
  }
  const comparability = checkComparable(newRun, baseRun, options);
  const keys: string[] = [];
  const add = (k: string) => {
    if (!keys.includes(k)) keys.push(k);
  };
  // A published baseline has both suites; only the suites the new run touches are compared.
  const touched = new Set(newRun.rows.map((r) => suiteOfColumn(r.key)));
  const baseRows = baseRun.kind === "published" ? baseRun.rows.filter((r) => touched.has(suiteOfColumn(r.key))) : baseRun.rows;
  const present = new Set([...newRun.rows, ...baseRows].map((r) => r.key));
  for (const suite of SUITE_IDS) for (const k of suiteColumnKeys(suite)) if (present.has(k)) add(k);
  for (const r of [...newRun.rows, ...baseRows]) add(r.key);
  const taskRows = keys.map((k) => compareTaskRow(k, newRun, baseRun, options, comparability.mismatched.get(k)));
  const drafts: DraftRow[] = [];
  for (const suite of SUITE_IDS) {
    drafts.push(...taskRows.filter((r) => r.suite === suite));
    if (baseRun.kind === "published" && !touched.has(suite)) continue;
    for (const def of PAPER_AVERAGES.filter((d) => d.suite === suite)) {
      const avg = compareAverageRow(def, newRun, baseRun, taskRows, options);
      if (avg) drafts.push(avg);
    }
  }
  drafts.push(...taskRows.filter((r) => r.suite === "other"));
  const maxDropTask = resolveOverrides(drafts, options);
  for (const d of drafts) d.maxDrop = maxDropFor(d.kind === "average" ? [d.key] : [d.tasks.new, d.tasks.baseline, d.key], { ...options, maxDropTask });
  if (options.rule === "non-inferiority") {
    // A margin of 0 asks every row to show it improved: that is not non-inferiority.
    const zero = drafts.filter((d) => d.maxDrop === 0).map((d) => d.tasks.new ?? d.tasks.baseline ?? d.key);
    if (zero.length > 0) throw new UserError("usage", `--non-inferiority needs a margin above 0 for every row, and ${zero.join(", ")} ${zero.length > 1 ? "have" : "has"} max drop 0; give --max-drop POINTS (or --max-drop-task NAME=POINTS) above 0.`);
  }
  allowAbsences(drafts, options);
  const rows = decide(drafts, options, comparability.notComparable);
  const notes = [...new Set([...newRun.notes.map((n) => `new run: ${n}`), ...baseRun.notes.map((n) => `baseline: ${n}`)])];
  if (baseRun.kind === "published") notes.push("the baseline is the paper's table: no per-doc results, so every test is unpaired");
  const family = rows.filter((r) => r.pAdjusted !== null).length;
  const numbersDiffer = rows.some((r) => {
    if (r.kind !== "task" || r.newScore === null || r.baselineScore === null) return false;
    if (r.paired) return (r.diff ?? 0) !== 0 || (r.discordant !== undefined && r.discordant.newOnly + r.discordant.baselineOnly > 0);
    return r.newScore !== r.baselineScore;
  });
  return {
    new: { label: newRun.label, source: newRun.source },
    baseline: { label: baseRun.label, source: baseRun.source, kind: baseRun.kind },
    alpha: options.alpha,
    adjustment: { method: "holm", family },
    power: POWER,
    maxDrop: options.maxDrop,
    maxDropTask: options.maxDropTask,
    bootstrap: { iterations: options.bootstrapIterations, seed: options.seed },
    provenance: provenanceOf(newRun, baseRun, numbersDiffer),
    rows,
    agreement: options.agreement ? agreementOf(newRun, baseRun, 5, options.tokenizer) : null,
    agreementPerToken: options.agreement === true && options.tokenizer !== undefined,
    allowed: comparability.allowed,
    notComparable: comparability.allowed.length > 0 ? comparability.allowed.join("; ") : null,
    rule: options.rule ?? "drop",
    failed: comparability.allowed.length > 0 || rows.some((r) => r.failed),
    nothingTested: nothingTestedReason(rows, comparability.allowed.length > 0 ? comparability.allowed.join("; ") : null),
    notes,
  };
}
