// The gate's verdict at its edges (issue 23): rows absent from the new run, comparisons that
// tested nothing, averages over unequal doc sets, --max-drop read as "dropped by more than",
// non-inferiority, and small n. Every expected value is worked by hand (in the comments) or is
// scipy's, written in.

import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { compareRuns } from "../src/compare/compare.js";
import { DEFAULT_COMPARE_OPTIONS, type CompareOptions, type ComparisonRow } from "../src/compare/comparisonTypes.js";
import { fisherExactP, fisherTested } from "../src/compare/fisher.js";
import { detectableDrop, mcnemarMinimalDetectable } from "../src/compare/power.js";
import { meanOfIndependentTested, pairedExactDifference } from "../src/compare/stats.js";
import { pairedBootstrap } from "../src/compare/bootstrap.js";
import { loadScores, runScores } from "../src/results/read.js";
import { gateLine, renderComparisonMarkdown, renderComparisonTable } from "../src/report/comparison.js";
import { UserError } from "../src/util/errors.js";
import { bits, tempDir, writeRun, type FixtureTask } from "./support/compareFixtures.js";

const close = (actual: number | null | undefined, expected: number, tol: number, what = "") => {
  assert.ok(actual !== null && actual !== undefined && Math.abs(actual - expected) <= tol, `${what}: ${actual} != ${expected}`);
};
const opts = (over: Partial<CompareOptions> = {}): CompareOptions => ({ ...DEFAULT_COMPARE_OPTIONS, bootstrapIterations: 500, ...over });
const row = (rows: ComparisonRow[], key: string) => {
  const r = rows.find((x) => x.key === key);
  assert.ok(r, `no row ${key}`);
  return r;
};
const jnli = (n: number, samples: number[], score: number): FixtureTask => ({ key: "jnli", task: "jnli-1.1-0.3", metric: "acc", score, n, samples });
const jcs = (n: number, samples: number[], score: number): FixtureTask => ({ key: "jcommonsenseqa", task: "jcommonsenseqa-1.1-0.3", metric: "acc", score, n, samples });

/** The English suite: ARC, HellaSwag, MMLU (2 subjects) and TruthfulQA, each as given or left out. */
function english(arc: FixtureTask | null, truthful: boolean, enAvg: number | null): Parameters<typeof writeRun>[1] {
  const tasks: FixtureTask[] = [
    ...(arc ? [arc] : []),
    { key: "hellaswag", task: "hellaswag", metric: "acc_norm", score: 70, n: 100, samples: bits(100, 70) },
    { key: "mmlu", task: "mmlu (2 subjects)", metric: "acc", score: 62.5, n: 6 },
    ...(truthful ? [{ key: "truthfulqa_mc", task: "truthfulqa_mc", metric: "mc2", score: 50, n: 3, samples: [0.4, 0.6, 0.5] }] : []),
  ];
  const cols = ["arc_challenge", "hellaswag", "mmlu", "truthfulqa_mc"];
  return { tasks, mmluSubjects: { "hendrycksTest-a": [1, 0, 1, 1], "hendrycksTest-b": [0, 1] }, averages: [{ id: "en_avg", value: enAvg, tasks: cols }] };
}
const arc = (n: number, samples: number[], score: number): FixtureTask => ({ key: "arc_challenge", task: "arc_challenge", metric: "acc_norm", score, n, samples });

test("a task the new run skipped fails the gate, naming it and the run's reason; --allow-missing lets it through", () => {
  const root = tempDir("absent");
  const base = writeRun(path.join(root, "b"), { tasks: [jnli(20, bits(20, 10), 50), jcs(20, bits(20, 10), 50)] });
  const reason = "data/jcommonsenseqa/valid.jsonl is missing (pull it with `rakuten-eval datasets pull jcommonsenseqa`)";
  const next = writeRun(path.join(root, "n"), { tasks: [jnli(20, bits(20, 10), 50)], skipped: [{ task: "jcommonsenseqa-1.1-0.3", reason }] });
  const c = compareRuns(runScores(next), runScores(base), opts());
  const k = row(c.rows, "jcommonsenseqa");
  assert.equal(k.verdict, "FAIL");
  assert.equal(k.failed, true);
  assert.equal(k.absent, `skipped: ${reason}`);
  assert.deepEqual(k.flags, ["absent"]);
  assert.equal(row(c.rows, "jnli").verdict, "pass");
  assert.equal(c.failed, true);
  assert.equal(c.nothingTested, null);
  const line = gateLine(c);
  assert.match(line, /^Gate FAILED: 1 absent from the new run: jcommonsenseqa-1\.1-0\.3 \(skipped: data\/jcommonsenseqa\/valid\.jsonl is missing/);
  assert.match(line, /--allow-missing jcommonsenseqa-1\.1-0\.3/);
  assert.equal(line.includes("\n"), false, "one line");

  // Allowed by any name `run` accepts (jcs is JCommonsenseQA's alias): the row says so, the gate passes.
  const allowed = compareRuns(runScores(next), runScores(base), opts({ allowMissing: ["jcs"] }));
  const a = row(allowed.rows, "jcommonsenseqa");
  assert.equal(a.verdict, "missing");
  assert.equal(a.failed, false);
  assert.deepEqual(a.flags, ["absent allowed"]);
  assert.equal(allowed.failed, false);
  assert.match(gateLine(allowed), /^Gate passed: .*Absent from the new run, allowed: jcommonsenseqa-1\.1-0\.3\.$/);
  assert.match(renderComparisonMarkdown(allowed), /\| – \(absent, allowed\) \|$/m);
  // A name that matches nothing is an input error: a typo cannot let a task through.
  assert.throws(() => compareRuns(runScores(next), runScores(base), opts({ allowMissing: ["jcsq"] })), (e: unknown) => e instanceof UserError && /^--allow-missing jcsq: no such task/.test(e.message));

  // Not selected at all (no skip recorded): absent all the same, and said so.
  const unselected = writeRun(path.join(root, "u"), { tasks: [jnli(20, bits(20, 10), 50)] });
  assert.equal(row(compareRuns(runScores(unselected), runScores(base), opts()).rows, "jcommonsenseqa").absent, "not in the new run's results: it did not select the task");
});

test("an average whose column is absent fails with it, and is allowed with it", () => {
  const root = tempDir("absent-avg");
  const base = writeRun(path.join(root, "b"), english(arc(100, bits(100, 60), 60), true, 60.625));
  const next = writeRun(path.join(root, "n"), { ...english(arc(100, bits(100, 60), 60), false, null), skipped: [{ task: "truthfulqa_mc", reason: "no data" }] });
  const c = compareRuns(runScores(next), runScores(base), opts());
  const avg = row(c.rows, "en_avg");
  assert.equal(avg.verdict, "FAIL");
  assert.equal(avg.absent, "its column truthfulqa_mc absent from the new run");
  assert.equal(row(c.rows, "truthfulqa_mc").absent, "skipped: no data");
  const allowed = compareRuns(runScores(next), runScores(base), opts({ allowMissing: ["truthfulqa_mc"] }));
  assert.equal(row(allowed.rows, "en_avg").failed, false);
  assert.equal(allowed.failed, false);
});

test("a comparison that tested nothing says why, and does not pass", () => {
  // An MMLU subset against the paper: the paper has only the 57-subject MMLU, and the new run
  // selected no other English column.
  const root = tempDir("nothing");
  const subset = writeRun(path.join(root, "n"), {
    tasks: [{ key: "mmlu_subset", task: "mmlu (2 subjects)", metric: "acc", score: 62.5, n: 6 }],
    mmluSubjects: { "hendrycksTest-a": [1, 0, 1, 1], "hendrycksTest-b": [0, 1] },
  });
  const c = compareRuns(runScores(subset), loadScores("published:rakutenai-7b"), opts());
  assert.equal(c.adjustment.family, 0);
  assert.equal(c.failed, false);
  assert.ok(c.nothingTested?.includes("mmlu (2 subjects): not in the baseline"), c.nothingTested ?? "");
});

test("averages over unequal doc sets: Δ is the mean of the columns' paired Δ, so extra docs of one run cannot fake a drop", () => {
  // The measured case, on the English suite: the runs agree on every shared doc; the new
  // run has 4 extra ARC docs, all wrong. ARC over all docs: 60/100 vs 60/104 = 57.69; en_avg
  // (60 + 70 + 62.5 + 50)/4 = 60.625 vs (57.6923 + 70 + 62.5 + 50)/4 = 60.048: a difference of the
  // averages of -0.577 with every column's paired Δ 0 (before: se 0, so p = 0 and FAIL).
  const root = tempDir("unequal");
  const base = writeRun(path.join(root, "b"), english(arc(100, bits(100, 60), 60), true, 60.625));
  const newArc = { ...arc(104, [...bits(100, 60), 0, 0, 0, 0], (60 / 104) * 100), docIds: Array.from({ length: 104 }, (_, i) => i) };
  const newAvg = ((60 / 104) * 100 + 70 + 62.5 + 50) / 4;
  const next = writeRun(path.join(root, "n"), english(newArc, true, newAvg));
  const c = compareRuns(runScores(next), runScores(base), opts());
  const a = row(c.rows, "arc_challenge");
  assert.deepEqual(a.docs, { paired: 100, newOnly: 4, baselineOnly: 0 });
  assert.equal(a.diff, 0);
  const avg = row(c.rows, "en_avg");
  assert.equal(avg.diff, 0);
  assert.equal(avg.pValue, 1);
  assert.equal(avg.verdict, "pass");
  assert.equal(c.failed, false);
  assert.ok(avg.notes.some((n) => n.includes("arc_challenge 4") && n.includes("(-0.58)")), avg.notes.join("; "));
});

test("no p = 0 from zero standard errors: null standard errors are 0 only when nothing differs", () => {
  // McNemar's under no difference: sqrt(d)/n, at least one discordant doc: 0 of 20 -> 1/20.
  assert.equal(pairedExactDifference(0, 0, 20).nullSe, 1 / 20);
  // All 3 docs lost: the Wald se is sqrt(3 - 9/3)/3 = 0, the null se sqrt(3)/3.
  assert.equal(pairedExactDifference(0, 3, 3).se, 0);
  close(pairedExactDifference(0, 3, 3).nullSe, Math.sqrt(3) / 3, 1e-15, "null se");
  // A constant per-doc difference has no bootstrap spread, yet its null se is sqrt(Σ d²)/n = 2/sqrt(5).
  close(pairedBootstrap([[-2, -2, -2, -2, -2]], { iterations: 50, seed: 1, alpha: 0.05 }).nullSe, 2 / Math.sqrt(5), 1e-15, "bootstrap null se");
  // A nonzero mean with zero null standard errors is not tested at all (never p = 0) ...
  assert.equal(meanOfIndependentTested([{ diff: -1, nullSe: 0 }, { diff: 0, nullSe: 0 }]), null);
  // ... and a zero mean with them is p = 1.
  assert.equal(meanOfIndependentTested([{ diff: 0, nullSe: 0 }])!.pValue, 1);
});

/** The new run's XLSum at 12.58 (se 0.52) against the paper's 14.08 (se taken as ours). */
function xlsumAgainstPaper(): string {
  return writeRun(path.join(tempDir("xlsum"), "n"), { tasks: [{ key: "xlsum_ja", task: "xlsum_ja-1.0-0.3", metric: "rouge2", score: 12.58, stderr: 0.52, n: 766 }] });
}

test("--max-drop means 'dropped by more than': a drop that fits the interval passes (worked example)", () => {
  // Δ = -1.50, se = 0.52 · sqrt 2 = 0.735391 (scipy: norm), one tested row, so the interval is at
  // alpha = 0.05: -1.5 ± 1.959964 · 0.735391 = [-2.9413, -0.0587]; p for "no difference" 0.04138.
  const dir = xlsumAgainstPaper();
  const at = (maxDrop: number) => row(compareRuns(runScores(dir), loadScores("published:rakutenai-7b"), opts({ maxDrop })).rows, "xlsum_ja");
  const r0 = at(0);
  close(r0.ci?.[0], -2.941339977323665, 1e-6, "lo");
  close(r0.ci?.[1], -0.058660022676335, 1e-6, "hi");
  close(r0.pValue, 0.041377115608387444, 1e-6, "p");
  // --max-drop 0: p gate = 2 Φ(-1.5 / se) = 0.0414 < 0.05: FAIL, as before.
  close(r0.pGate, 0.041377115608387444, 1e-6, "p gate 0");
  assert.equal(r0.verdict, "FAIL");
  // --max-drop 1: a drop of 1 lies in the interval; p gate = 2 Φ((-1.5 + 1) / se) = 0.4966. The old
  // rule (Δ below -1 and p < 0.05) failed it.
  const r1 = at(1);
  close(r1.pGate, 0.4965612172813433, 1e-6, "p gate 1");
  assert.equal(r1.verdict, "pass");
  // The interval's upper end, -0.0587, decides: 0.05 is exceeded (2 Φ(-1.45 / se) = 0.0486), 0.06 is not (0.0502).
  close(at(0.05).pGate, 0.04863928767942207, 1e-6, "p gate 0.05");
  assert.equal(at(0.05).verdict, "FAIL");
  close(at(0.06).pGate, 0.05021336956632817, 1e-6, "p gate 0.06");
  assert.equal(at(0.06).verdict, "pass");
});

test("a drop exactly equal to --max-drop passes; a hair less allowance fails", () => {
  // ROUGE-2 per doc: every doc exactly 2 points lower. Every bootstrap resample has mean -2, so the
  // interval is [-2, -2] at any level: the data show a drop of 2, not more.
  const root = tempDir("boundary");
  const xl = (samples: number[], score: number): FixtureTask => ({ key: "xlsum_ja", task: "xlsum_ja-1.0-0.3", metric: "rouge2", score, n: 5, samples, sampleScale: 1 });
  const base = writeRun(path.join(root, "b"), { tasks: [xl([12, 18, 5, 30, 20], 17)] });
  const next = writeRun(path.join(root, "n"), { tasks: [xl([10, 16, 3, 28, 18], 15)] });
  const at = (maxDrop: number) => row(compareRuns(runScores(next), runScores(base), opts({ maxDrop })).rows, "xlsum_ja");
  const exact = at(2);
  assert.equal(exact.diff, -2);
  assert.deepEqual(exact.ci, [-2, -2]);
  assert.equal(exact.pGate, 1); // 2 · #{t* >= -2} / B = 2, capped
  assert.equal(exact.verdict, "pass");
  const less = at(1.999);
  assert.equal(less.pGate, 0); // no resample is at least -1.999
  assert.equal(less.verdict, "FAIL");
  // McNemar: 20 of 2000 docs lost, none gained, Δ = -1 point exactly; given 20 discordant docs the
  // difference cannot be below -1, so a drop of more than 1 is not shown: π at -1 is 0, p gate 1.
  const j = (n: number, lost: number) => jnli(n, bits(n, 1000 - lost), ((1000 - lost) / n) * 100);
  const b2 = writeRun(path.join(root, "b2"), { tasks: [j(2000, 0)] });
  const n2 = writeRun(path.join(root, "n2"), { tasks: [j(2000, 20)] });
  const m = row(compareRuns(runScores(n2), runScores(b2), opts({ maxDrop: 1 })).rows, "jnli");
  assert.equal(m.diff, -1);
  assert.equal(m.pGate, 1);
  assert.equal(m.verdict, "pass");
});

test("--non-inferiority: a row passes only when its interval shows a drop smaller than the margin, on a test that could see it", () => {
  const root = tempDir("ni");
  const b = writeRun(path.join(root, "b"), { tasks: [jnli(2000, bits(2000, 1000), 50)] });
  const n = writeRun(path.join(root, "n"), { tasks: [jnli(2000, bits(2000, 980), 49)] });
  const at = (maxDrop: number) => compareRuns(runScores(n), runScores(b), opts({ maxDrop, rule: "non-inferiority" }));
  // 20 lost of 2000, none gained: the interval at 0.05 is [-1, 20/2000 (2 (1 - 0.025^(1/20)) - 1)] =
  // [-1, -0.663] points; MDD max(2.8016 sqrt(0.01/2000), 6/2000) = 0.626 points.
  const ok = row(at(1.5).rows, "jnli");
  close(ok.ci?.[0], -1, 1e-9, "lo");
  close(ok.ci?.[1], (20 / 2000) * 100 * (2 * (1 - 0.025 ** (1 / 20)) - 1), 1e-6, "hi");
  assert.equal(ok.pGate, 0); // a drop of 1.5 is impossible given the 20 discordant docs
  assert.equal(ok.verdict, "pass");
  // Margin 1: the lower end is -1, not above it: not shown.
  const tight = at(1);
  assert.equal(row(tight.rows, "jnli").verdict, "FAIL");
  assert.match(gateLine(tight), /^Gate FAILED: 1 row\(s\) not shown to have dropped by less than allowed/);
  // Identical answers on 20 docs: [0, 0], p 1 — yet 20 docs cannot show a drop under 1 point (MDD 6/20 = 30 points).
  const b20 = writeRun(path.join(root, "b20"), { tasks: [jnli(20, bits(20, 10), 50)] });
  const n20 = writeRun(path.join(root, "n20"), { tasks: [jnli(20, bits(20, 10), 50)] });
  const weak = row(compareRuns(runScores(n20), runScores(b20), opts({ maxDrop: 1, rule: "non-inferiority" })).rows, "jnli");
  assert.deepEqual(weak.ci, [0, 0]);
  close(weak.minimalDetectable, 30, 1e-9, "mdd");
  assert.equal(weak.verdict, "FAIL");
  assert.deepEqual(weak.flags, ["underpowered"]);
  // A margin of 0 is not non-inferiority.
  assert.throws(() => at(0), (e: unknown) => e instanceof UserError && /^--non-inferiority needs a margin above 0/.test(e.message));
});

test("small n: MDD 'none' when nothing is detectable, and the gate cell says so at any width", () => {
  // The exact test needs 6 docs all one way at alpha 0.05 (2 · 2^-6 < 0.05): with 1 doc, none.
  assert.equal(mcnemarMinimalDetectable(0, 1, 0.05), Infinity);
  assert.equal(detectableDrop(Infinity), null);
  assert.equal(detectableDrop(0), null); // a zero standard error detects nothing
  assert.equal(detectableDrop(600), null); // above the 100 points a score can drop
  assert.equal(detectableDrop(2.5), 2.5);
  const root = tempDir("smalln");
  const one = (v: number) => writeRun(path.join(root, `one${v}`), { tasks: [jnli(1, [v], v * 100)] });
  const r1 = row(compareRuns(runScores(one(1)), runScores(one(1)), opts()).rows, "jnli");
  assert.equal(r1.minimalDetectable, null);
  assert.equal(r1.underpowered, true);
  // 20 identical docs: Δ +0.00 [+0.00, +0.00], p 1 — and MDD 30 (6/20) above max drop 0: said in the gate cell.
  const twenty = (name: string) => writeRun(path.join(root, name), { tasks: [jnli(20, bits(20, 10), 50)] });
  const c = compareRuns(runScores(twenty("a")), runScores(twenty("b")), opts());
  for (const width of [undefined, 120, 80, 40, 24]) assert.match(renderComparisonTable(c, undefined, width).replace(/\s+/g, " "), /pass \(MDD 30\.00\)/, `width ${width}`);
  const c1 = compareRuns(runScores(one(1)), runScores(one(1)), opts());
  assert.match(renderComparisonTable(c1, undefined, 80), /pass \(no drop detectable\)/);
  assert.match(renderComparisonMarkdown(c1), /\| none \| McNemar exact/);
});

test("small n against the paper: Fisher's exact test, not Wald (scipy.stats.fisher_exact)", () => {
  // 0 of 12 against JCommonsenseQA's 943/1119 (84.27): Wald says p = 0 exactly.
  close(fisherExactP(0, 12, 943, 1119), 3.296858669451162e-10, 1e-16, "0/12");
  // 2 of 12 against JNLI's 1185/2434: Wald 0.003, Fisher 0.039.
  close(fisherExactP(2, 12, 1185, 2434), 0.039089128255967935, 1e-10, "2/12");
  close(fisherExactP(3, 12, 1460, 2434), 0.01764979064276337, 1e-10, "3/12");
  close(fisherExactP(12, 12, 943, 1119), 0.2315784529072609, 1e-10, "12/12");
  close(fisherExactP(40, 100, 1185, 2434), 0.10211758848131561, 1e-10, "40/100");
  assert.equal(fisherExactP(5, 10, 5, 10), 1);
  // Its interval is drawn from the same p: it excludes 0 exactly when p is below the level.
  const t = fisherTested(2, 12, 1185, 2434);
  assert.ok(t.intervalAt(0.05)[1] < 0 && t.intervalAt(0.039)[1] > 0, `${t.intervalAt(0.05)} ${t.intervalAt(0.039)}`);
  // 0 of 12 through compare: a row against the paper's JCommonsenseQA.
  const dir = writeRun(path.join(tempDir("fisher"), "n"), { tasks: [jcs(12, bits(12, 0), 0)] });
  const r = row(compareRuns(runScores(dir), loadScores("published:rakutenai-7b"), opts()).rows, "jcommonsenseqa");
  assert.equal(r.test, "fisher-exact");
  close(r.pValue, 3.296858669451162e-10, 1e-16, "row p");
});

test("a drop significant before Holm but not after passes, and the row says so", () => {
  // Two tasks, each 6 of 20 docs lost and none gained: p = 2 · 2^-6 = 0.03125 each, below 0.05;
  // Holm over the two: 2 · 0.03125 = 0.0625, not below 0.05.
  const root = tempDir("holm");
  const b = writeRun(path.join(root, "b"), { tasks: [jnli(20, bits(20, 10), 50), jcs(20, bits(20, 10), 50)] });
  const n = writeRun(path.join(root, "n"), { tasks: [jnli(20, bits(20, 4), 20), jcs(20, bits(20, 4), 20)] });
  const c = compareRuns(runScores(n), runScores(b), opts());
  for (const key of ["jnli", "jcommonsenseqa"]) {
    const r = row(c.rows, key);
    close(r.pGate, 0.03125, 1e-15, `${key} p gate`);
    close(r.pAdjusted, 0.0625, 1e-15, `${key} p adj`);
    assert.equal(r.verdict, "pass");
    assert.ok(r.flags.includes("not after Holm"), r.flags.join(","));
  }
  // MDD: max(2.801585 · sqrt((6/20) / 20), 6/20) = 0.3431 -> 34.31 points, above max drop 0.
  for (const width of [undefined, 60, 40]) assert.match(renderComparisonTable(c, undefined, width).replace(/\s+/g, " "), /pass \(not after Holm; MDD 34\.31\)/, `width ${width}`);
});
