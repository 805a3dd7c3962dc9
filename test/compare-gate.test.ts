import { test } from "node:test";
import assert from "node:assert/strict";
import path from "node:path";
import { writeFileSync } from "node:fs";
import { compareRuns } from "../src/compare/compare.js";
import { DEFAULT_COMPARE_OPTIONS, type CompareOptions, type ComparisonRow } from "../src/compare/comparisonTypes.js";
import { loadScores, runScores } from "../src/results/read.js";
import { renderComparisonMarkdown, renderComparisonTable } from "../src/report/comparison.js";
import { UserError } from "../src/util/errors.js";
import { bits, tempDir, writeRun, type FixtureTask } from "./support/compareFixtures.js";

const close = (actual: number | null | undefined, expected: number, tol: number, what = "") => {
  assert.ok(actual !== null && actual !== undefined && Math.abs(actual - expected) <= tol, `${what}: ${actual} != ${expected}`);
};

const opts = (over: Partial<CompareOptions> = {}): CompareOptions => ({ ...DEFAULT_COMPARE_OPTIONS, bootstrapIterations: 500, ...over });

const jnli = (n: number, samples: number[], score: number): FixtureTask => ({ key: "jnli", task: "jnli-1.1-0.3", metric: "acc", score, n, samples });

/** Two runs of JNLI whose per-doc outcomes are given; returns their folders. */
function jnliPair(n: number, base: number[], next: number[], baseScore: number, newScore: number): { newDir: string; baseDir: string } {
  const root = tempDir("gate");
  return {
    baseDir: writeRun(path.join(root, "base"), { modelPath: "/m/base.gguf", tasks: [jnli(n, base, baseScore)] }),
    newDir: writeRun(path.join(root, "new"), { modelPath: "/m/new.gguf", tasks: [jnli(n, next, newScore)] }),
  };
}

const row = (rows: ComparisonRow[], key: string) => {
  const r = rows.find((x) => x.key === key);
  assert.ok(r, `no row ${key}`);
  return r;
};

test("big significant drop fails the gate (paired exact McNemar)", () => {
  // Baseline right on docs 0..59, new right on 0..39: 20 docs lost, none gained.
  const { newDir, baseDir } = jnliPair(100, bits(100, 60), bits(100, 40), 60, 40);
  const c = compareRuns(runScores(newDir), runScores(baseDir), opts({ maxDrop: 1 }));
  const r = row(c.rows, "jnli");
  assert.equal(r.test, "mcnemar-exact");
  assert.equal(r.paired, true);
  assert.deepEqual(r.discordant, { newOnly: 0, baselineOnly: 20 });
  close(r.diff, -20, 1e-9, "diff");
  close(r.pValue, 2 / 2 ** 20, 1e-15, "p"); // 2 * C(20,0) / 2^20
  // Wald paired se = sqrt(20 - 20^2/100) / 100 = 0.04 -> 4 points (used only for averages).
  close(r.se, 4, 1e-9, "se");
  // The exact interval: given 20 discordant docs, 0 of them for the new run; π's Clopper-Pearson
  // interval is [0, 1 - 0.025^(1/20)], and Δ = (20/100)(2π - 1) in points.
  close(r.ci?.[0], -20, 1e-6, "ci lo");
  close(r.ci?.[1], 20 * (2 * (1 - 0.025 ** (1 / 20)) - 1), 1e-6, "ci hi");
  assert.equal(r.level, 0.05); // one row tested: Holm's level is alpha
  // The gate's test, "dropped by more than 1 point": given the 20 discordant docs, Δ = -1 point
  // means π = (1 + (-0.01)(100/20)) / 2 = 0.475, and P(X <= 0 | 20, 0.475) = 0.525^20, doubled.
  close(r.pGate, 2 * 0.525 ** 20, 1e-15, "p gate");
  close(r.pAdjusted, 2 * 0.525 ** 20, 1e-15, "p adj");
  // MDD: (z_0.975 + z_0.8) · sqrt((20/100) / 100), in points
  close(r.minimalDetectable, (1.959963984540054 + 0.8416212335729143) * Math.sqrt(0.2 / 100) * 100, 1e-5, "mdd");
  assert.equal(r.failed, true);
  assert.equal(c.failed, true);
});

test("big but insignificant drop passes", () => {
  // n = 20: baseline right on 0..9; new right on 0..5 and 10..11 -> 4 lost, 2 gained.
  const next = bits(20, 6);
  next[10] = 1;
  next[11] = 1;
  const { newDir, baseDir } = jnliPair(20, bits(20, 10), next, 50, 40);
  const c = compareRuns(runScores(newDir), runScores(baseDir), opts({ maxDrop: 1 }));
  const r = row(c.rows, "jnli");
  assert.deepEqual(r.discordant, { newOnly: 2, baselineOnly: 4 });
  close(r.pValue, 0.6875, 1e-12, "p"); // 2 * (1 + 6 + 15) / 64
  close(r.diff, -10, 1e-9, "diff");
  assert.equal(r.significant, false);
  assert.equal(r.failed, false);
  assert.equal(c.failed, false);
});

test("small significant drop passes; the same drop fails under a tighter max drop", () => {
  // n = 2000: 20 docs lost, none gained -> 1 point, p = 2 / 2^20 for "no difference".
  const { newDir, baseDir } = jnliPair(2000, bits(2000, 1000), bits(2000, 980), 50, 49);
  const loose = compareRuns(runScores(newDir), runScores(baseDir), opts({ maxDrop: 1.5 }));
  const r = row(loose.rows, "jnli");
  close(r.pValue, 2 / 2 ** 20, 1e-15, "p");
  // Given 20 discordant docs of 2000 the difference is at least -1 point: a drop of more than 1.5
  // is impossible, so its test has p = 1 (π at -1.5 points is below 0).
  assert.equal(r.pGate, 1);
  assert.equal(r.significant, false);
  assert.equal(r.failed, false);
  assert.equal(loose.failed, false);
  // 0.5 points: π = (1 - 0.005 · 2000/20) / 2 = 0.25, p gate = 2 · 0.75^20 = 0.0063 < 0.05.
  const tight = compareRuns(runScores(newDir), runScores(baseDir), opts({ maxDrop: 0.5 }));
  close(row(tight.rows, "jnli").pGate, 2 * 0.75 ** 20, 1e-12, "p gate 0.5");
  assert.equal(tight.failed, true);
});

test("per-task override by task name raises the allowance of that task only", () => {
  const { newDir, baseDir } = jnliPair(100, bits(100, 60), bits(100, 40), 60, 40);
  const c = compareRuns(runScores(newDir), runScores(baseDir), opts({ maxDrop: 1, maxDropTask: { "jnli-1.1-0.3": 25 } }));
  assert.equal(row(c.rows, "jnli").maxDrop, 25);
  assert.equal(c.failed, false);
  // Any name or alias `run` accepts resolves to the task: `jnli` is jnli-1.1-0.3's alias.
  const alias = compareRuns(runScores(newDir), runScores(baseDir), opts({ maxDrop: 1, maxDropTask: { jnli: 25 } }));
  assert.equal(row(alias.rows, "jnli").maxDrop, 25);
  // An override that names nothing in the comparison is an input error, not a silent no-op
  // (jnli-1.3-0.3 is a task `run` knows, but not the one compared here).
  assert.throws(() => compareRuns(runScores(newDir), runScores(baseDir), opts({ maxDropTask: { "jnli-1.3-0.3": 3 } })), UserError);
});

test("exact match (0/100 per doc) is tested with McNemar too", () => {
  const root = tempDir("em");
  const task = (samples: number[], score: number): FixtureTask => ({ key: "jsquad", task: "jsquad-1.1-0.3", metric: "exact_match", score, n: 10, samples });
  const base = writeRun(path.join(root, "b"), { tasks: [task(bits(10, 8, 100), 80)] });
  const next = writeRun(path.join(root, "n"), { tasks: [task(bits(10, 3, 100), 30)] });
  const r = row(compareRuns(runScores(next), runScores(base), opts()).rows, "jsquad");
  assert.equal(r.test, "mcnemar-exact");
  assert.deepEqual(r.discordant, { newOnly: 0, baselineOnly: 5 });
  close(r.pValue, 0.0625, 1e-12, "p");
});

test("ROUGE-2 is compared with a seeded paired bootstrap (Python reimplementation values)", () => {
  const root = tempDir("rouge");
  const xl = (samples: number[], score: number): FixtureTask => ({ key: "xlsum_ja", task: "xlsum_ja-1.0-0.3", metric: "rouge2", score, n: 5, samples });
  const base = writeRun(path.join(root, "b"), { tasks: [xl([12, 18, 5, 30, 20], 17)] });
  const next = writeRun(path.join(root, "n"), { tasks: [xl([10, 20, 0, 30, 15], 15)] });
  const c = compareRuns(runScores(next), runScores(base), opts({ bootstrapIterations: 500, seed: 1234 }));
  const r = row(c.rows, "xlsum_ja");
  assert.equal(r.test, "paired-bootstrap");
  // diffs [-2, 2, -5, 0, -5]; random.Random(1234), 500 resamples; order statistics k = ceil(.05·500/2) = 13
  // and 488; p = 2·min(#{t<=0}, #{t>=0}) / 500 (Python, /tmp reimplementation in compare-stats.test.ts's comment).
  close(r.ci?.[0], -4.4, 1e-9, "lo");
  close(r.ci?.[1], 0.4, 1e-9, "hi");
  close(r.pValue, 0.108, 1e-12, "p");
  close(r.diff, -2, 1e-12, "diff");

  // The same docs stored as F in 0-1 (not 0-100) give the same interval: the scale is read
  // off the row's score.
  const base01 = writeRun(path.join(root, "b01"), { tasks: [xl([0.12, 0.18, 0.05, 0.3, 0.2], 17)] });
  const next01 = writeRun(path.join(root, "n01"), { tasks: [xl([0.1, 0.2, 0, 0.3, 0.15], 15)] });
  const r01 = row(compareRuns(runScores(next01), runScores(base01), opts({ bootstrapIterations: 500, seed: 1234 })).rows, "xlsum_ja");
  close(r01.ci?.[0], -4.4, 1e-6, "lo 0-1");
  close(r01.ci?.[1], 0.4, 1e-6, "hi 0-1");
  close(r01.pValue, 0.108, 0.005, "p 0-1");
});

test("MMLU's macro mean gets a bootstrap stratified by subject", () => {
  const root = tempDir("mmlu");
  const mmluRow = (score: number): FixtureTask => ({ key: "mmlu", task: "mmlu (2 subjects)", metric: "acc", score, n: 7 });
  const base = writeRun(path.join(root, "b"), { tasks: [mmluRow(58.333333333333336)], mmluSubjects: { "hendrycksTest-a": [1, 0, 0, 1], "hendrycksTest-b": [1, 1, 0] } });
  const next = writeRun(path.join(root, "n"), { tasks: [mmluRow(70.83333333333333)], mmluSubjects: { "hendrycksTest-a": [1, 1, 0, 1], "hendrycksTest-b": [0, 1, 1] } });
  const r = row(compareRuns(runScores(next), runScores(base), opts({ bootstrapIterations: 500, seed: 1234 })).rows, "mmlu");
  assert.equal(r.test, "paired-bootstrap-stratified");
  // strata [0,100,0,0] and [-100,0,100]; Python: random.Random(1234), 500 resamples.
  close(r.ci?.[0], -37.5, 1e-9, "lo");
  close(r.ci?.[1], 58.333333333333336, 1e-9, "hi");
  close(r.pValue, 0.744, 1e-12, "p");
});

/** The English suite with hand-set scores: only ARC differs (60 -> 50, 10 docs lost). */
function englishPair(): { newDir: string; baseDir: string } {
  const root = tempDir("en");
  const make = (arcCorrect: number): FixtureTask[] => [
    { key: "arc_challenge", task: "arc_challenge", metric: "acc_norm", score: arcCorrect, n: 100, samples: bits(100, arcCorrect) },
    { key: "hellaswag", task: "hellaswag", metric: "acc_norm", score: 70, n: 100, samples: bits(100, 70) },
    { key: "mmlu", task: "mmlu (2 subjects)", metric: "acc", score: 62.5, n: 6 },
    { key: "truthfulqa_mc", task: "truthfulqa_mc", metric: "mc2", score: 50, n: 3, samples: [0.4, 0.6, 0.5] },
  ];
  const subjects = { "hendrycksTest-a": [1, 0, 1, 1], "hendrycksTest-b": [0, 1] };
  const cols = ["arc_challenge", "hellaswag", "mmlu", "truthfulqa_mc"];
  return {
    // en_avg: (60 + 70 + 62.5 + 50) / 4 = 60.625 and (50 + 70 + 62.5 + 50) / 4 = 58.125
    baseDir: writeRun(path.join(root, "b"), { tasks: make(60), mmluSubjects: subjects, averages: [{ id: "en_avg", value: 60.625, tasks: cols }] }),
    newDir: writeRun(path.join(root, "n"), { tasks: make(50), mmluSubjects: subjects, averages: [{ id: "en_avg", value: 58.125, tasks: cols }] }),
  };
}

test("suite averages are compared: the mean of the columns' Δ, on their standard errors under no difference", () => {
  const { newDir, baseDir } = englishPair();
  const c = compareRuns(runScores(newDir), runScores(baseDir), opts());
  const avg = row(c.rows, "en_avg");
  assert.equal(avg.kind, "average");
  close(avg.newScore, 58.125, 1e-12, "new");
  close(avg.baselineScore, 60.625, 1e-12, "base");
  close(avg.diff, -2.5, 1e-12, "diff"); // (-10 + 0 + 0 + 0) / 4
  // Null standard errors: ARC sqrt(d)/n = sqrt(10)/100 -> 3.162 points; HellaSwag agrees on every
  // doc, counted as one discordant doc like its MDD: 1/100 -> 1 point; MMLU and TruthfulQA per-doc
  // differences all 0 -> 0. se = sqrt(10 + 1) / 4; p = 2 * norm.sf(2.5 / se) (scipy).
  close(avg.se, Math.sqrt(11) / 4, 1e-9, "se");
  close(avg.pValue, 0.002568831527022717, 1e-6, "p");
  // max drop 0: the gate's p of a drop is the same one-sided tail, doubled (the drop is negative).
  close(avg.pGate, 0.002568831527022717, 1e-6, "p gate");
  // Holm over the 5 tested rows: ARC 2/1024 = 0.00195 (rank 1), the average 0.00257 (rank 2),
  // three unchanged columns p = 1 -> ARC 5 · 0.00195, the average max(that, 4 · 0.00257).
  close(row(c.rows, "arc_challenge").pAdjusted, (5 * 2) / 1024, 1e-12, "arc p adj");
  close(avg.pAdjusted, 4 * 0.002568831527022717, 1e-6, "avg p adj");
  // The average is rank 2 of 5: its interval is drawn at alpha/4 = 0.0125, z = norm.ppf(1 - 0.0125/2).
  close(avg.level, 0.0125, 1e-12, "level");
  close(avg.ci?.[0], -2.5 - 2.497705474412374 * (Math.sqrt(11) / 4), 1e-6, "lo");
  close(avg.ci?.[1], -2.5 + 2.497705474412374 * (Math.sqrt(11) / 4), 1e-6, "hi");
  assert.equal(avg.paired, true);
  assert.equal(row(c.rows, "arc_challenge").failed, true);
  assert.equal(avg.failed, true);

  // max drop 5: ARC's interval (10 of 100 docs lost, none gained) ends at
  // 10 (2 (1 - 0.025^(1/10)) - 1) = -3.83 points at alpha: a drop of 5 fits it, so ARC passes;
  // its gate p: π at -5 points = (1 - 0.05 · 100/10) / 2 = 0.25, 2 · 0.75^10 = 0.113.
  const c5 = compareRuns(runScores(newDir), runScores(baseDir), opts({ maxDrop: 5 }));
  close(row(c5.rows, "arc_challenge").pGate, 2 * 0.75 ** 10, 1e-12, "arc p gate at 5");
  assert.equal(row(c5.rows, "arc_challenge").failed, false);
  assert.equal(c5.failed, false);

  // ARC allowed 20 (a drop of 20 is impossible with 10 discordant docs: p gate 1): the average fails alone ...
  const c2 = compareRuns(runScores(newDir), runScores(baseDir), opts({ maxDropTask: { arc_challenge: 20 } }));
  assert.equal(row(c2.rows, "arc_challenge").pGate, 1);
  assert.equal(row(c2.rows, "arc_challenge").failed, false);
  assert.equal(row(c2.rows, "en_avg").failed, true);
  assert.equal(c2.failed, true);
  // ... and the average has its own override by id: at 1 point, 2 Φ((-2.5 + 1) / se) = 0.0704 (scipy), not below 0.05.
  const c3 = compareRuns(runScores(newDir), runScores(baseDir), opts({ maxDropTask: { arc_challenge: 20, en_avg: 1 } }));
  close(row(c3.rows, "en_avg").pGate, 0.07044042927208799, 1e-6, "avg p gate at 1");
  assert.equal(c3.failed, false);
});

test("published baseline: the paper's figures, unpaired tests", () => {
  const root = tempDir("pub");
  const dir = writeRun(path.join(root, "n"), {
    tasks: [
      { key: "jnli", task: "jnli-1.1-0.3", metric: "acc", score: 50, n: 2434, samples: bits(2434, 1217) },
      { key: "xlsum_ja", task: "xlsum_ja-1.0-0.3", metric: "rouge2", score: 13.08, stderr: 0.5, n: 766 },
    ],
  });
  const c = compareRuns(runScores(dir), loadScores("published:rakutenai-7b"), opts());
  assert.equal(c.baseline.source, "published:rakuten-ai-7b");
  const j = row(c.rows, "jnli");
  assert.equal(j.baselineScore, 48.69); // Table 1, RakutenAI-7B JNLI
  assert.equal(j.n.baseline, 2434); // spec §8.3: 1185/2434
  assert.equal(j.test, "fisher-exact");
  assert.equal(j.paired, false);
  close(j.diff, 1.31, 1e-9, "diff");
  // scipy.stats.fisher_exact([[1217, 1217], [1185, 1249]]).pvalue
  close(j.pValue, 0.3741674271155233, 1e-9, "p");
  // Holm over the two tested rows' gate p (XLSum 0.157; JNLI gained, its p of a drop near 1):
  // neither is rejected, so both intervals are drawn at alpha/2 = 0.025, z = norm.ppf(0.9875) =
  // 2.241402727604947. JNLI's is test-based: se = Δ / norm.isf(p/2) = 1.4793707877830025 (scipy),
  // about Δ over the counts, (1217 - 1185)/2434 = 1.3147 points.
  assert.equal(j.level, 0.025);
  close(j.ci?.[0], 1.314708299096138 - 2.241402727604947 * 1.4793707877830025, 1e-5, "lo");
  close(j.ci?.[1], 1.314708299096138 + 2.241402727604947 * 1.4793707877830025, 1e-5, "hi");
  const x = row(c.rows, "xlsum_ja");
  assert.equal(x.baselineScore, 14.08);
  assert.equal(x.test, "normal-unpaired");
  // se = sqrt(0.5^2 + 0.5^2) (the paper's se taken as ours); p = 2 * norm.sf(1 / 0.7071)
  close(x.pValue, 0.15729920705028516, 1e-6, "p");
  close(x.ci?.[0], -1 - 2.241402727604947 * Math.SQRT1_2, 1e-6, "lo");
  // Japanese columns only: the new run has no English task.
  assert.equal(c.rows.some((r) => r.key === "arc_challenge"), false);
  const ja = row(c.rows, "ja_avg");
  assert.equal(ja.baselineScore, 62.83);
  assert.equal(ja.newScore, null);

  const instruct = compareRuns(runScores(dir), loadScores("published:rakuten-ai-7b-instruct"), opts());
  assert.equal(row(instruct.rows, "jnli").baselineScore, 90.39); // Table 3
  assert.throws(() => loadScores("published:no-such-model"), UserError);
});

test("runs over different docs are paired on the docs both scored, and say how many were left out", () => {
  // The same model at --limit 20 and --limit 30: the first 20 docs of one shuffled order are
  // shared, with identical answers. Scores over all docs differ (12/20 vs 14/30 = 60 vs 46.67), the
  // paired difference over the 20 shared docs is 0.
  const root = tempDir("diffdocs");
  const answers = [1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
  const ids = Array.from({ length: 30 }, (_, i) => (i * 7) % 31); // shuffled doc ids
  const first = (k: number) => answers.slice(0, k).reduce((a, v) => a + v, 0);
  assert.equal(first(20), 12);
  assert.equal(first(30), 14);
  const base = writeRun(path.join(root, "b"), { limit: 30, tasks: [{ ...jnli(30, answers, (14 / 30) * 100), docIds: ids }] });
  const next = writeRun(path.join(root, "n"), { limit: 20, tasks: [{ ...jnli(20, answers.slice(0, 20), 60), docIds: ids.slice(0, 20) }] });
  const r = row(compareRuns(runScores(next), runScores(base), opts()).rows, "jnli");
  assert.equal(r.paired, true);
  assert.equal(r.test, "mcnemar-exact");
  assert.deepEqual(r.docs, { paired: 20, newOnly: 0, baselineOnly: 10 });
  assert.deepEqual(r.discordant, { newOnly: 0, baselineOnly: 0 });
  assert.equal(r.diff, 0);
  assert.equal(r.pValue, 1);
  assert.equal(r.verdict, "pass");
  assert.ok(r.notes.some((n) => n.includes("paired on the 20 docs") && n.includes("10 only by the baseline")), r.notes.join("; "));
});

test("table and Markdown show both scores, the difference, the interval and the verdict", () => {
  const { newDir, baseDir } = jnliPair(100, bits(100, 60), bits(100, 40), 60, 40);
  const c = compareRuns(runScores(newDir), runScores(baseDir), opts({ maxDrop: 1 }));
  const md = renderComparisonMarkdown(c);
  assert.match(md, /^\| Task \| Metric \| base \| new \| Δ \| CI \| p \| p gate \(Holm\) \| MDD \| Test \| Max drop \| Gate \|$/m);
  // CI: [-20, 20 (2 (1 - 0.025^(1/20)) - 1)] = [-20, -13.26]; p 2/2^20 = 1.9e-6; p gate
  // 2 · 0.525^20 = 5.1e-6 (see the first test); MDD 12.53 > max drop 1, but the drop was seen: no flag.
  assert.match(md, /^\| jnli-1\.1-0\.3 \| acc \| 60\.00 \| 40\.00 \| −20\.00 \| \[−20\.00, −13\.26\] \| 1\.9e-6 \| 5\.1e-6 \| 12\.53 \| McNemar exact \(paired\) \| 1 \| \*\*FAIL\*\* \|$/m);
  assert.match(md, /Gate FAILED/);
  const table = renderComparisonTable(c);
  assert.match(table, /jnli-1\.1-0\.3/);
  assert.match(table, /−20\.00/);
  assert.match(table, /FAIL/);
});

test("a results file that is not a results document is an input error", () => {
  const dir = tempDir("invalid");
  writeFileSync(path.join(dir, "results.json"), JSON.stringify({ results: {} }));
  assert.throws(() => runScores(dir), (e: unknown) => e instanceof UserError && /not a rakuten-eval or lm-evaluation-harness results document/.test(e.message));
  writeFileSync(path.join(dir, "results.json"), "{ not json");
  assert.throws(() => runScores(dir), (e: unknown) => e instanceof UserError && /not valid JSON/.test(e.message));
  assert.throws(() => runScores(path.join(dir, "missing")), UserError);
});

test("a damaged samples file is an input error", () => {
  const { newDir, baseDir } = jnliPair(10, bits(10, 6), bits(10, 4), 60, 40);
  writeFileSync(path.join(newDir, "samples_jnli-1.1-0.3.jsonl"), "{not json\n");
  assert.throws(() => compareRuns(runScores(newDir), runScores(baseDir), opts()), UserError);
});

test("a row whose settings differ (allowed) is not gated: out of the Holm family, verdict not comparable, and the gate cannot pass", () => {
  const root = tempDir("mismatch");
  const jcs = (samples: number[], shots: number): FixtureTask => ({ key: "jcommonsenseqa", task: "jcommonsenseqa-1.1-0.3", metric: "acc", score: 50, n: 20, samples, shots });
  // JNLI: 10 docs lost, none gained (p = 2/1024); JCommonsenseQA: 3-shot vs 1-shot, 8 docs lost (p = 2/256).
  const base = writeRun(path.join(root, "b"), { tasks: [jnli(20, bits(20, 15), 75), jcs(bits(20, 10), 3)] });
  const next = writeRun(path.join(root, "n"), { tasks: [jnli(20, bits(20, 5), 25), jcs(bits(20, 2), 1)] });
  assert.throws(() => compareRuns(runScores(next), runScores(base), opts()), UserError);
  const c = compareRuns(runScores(next), runScores(base), opts({ allowConfigMismatch: true }));
  const j = row(c.rows, "jnli");
  const k = row(c.rows, "jcommonsenseqa");
  assert.equal(c.adjustment.family, 1);
  close(j.pAdjusted, 2 / 1024, 1e-12, "jnli adjusted = raw, a family of one");
  assert.equal(j.verdict, "FAIL");
  assert.equal(k.pAdjusted, null);
  close(k.pValue, 2 / 256, 1e-12, "jcs raw p");
  assert.equal(k.level, 0.05);
  assert.equal(k.verdict, "not comparable");
  assert.equal(k.failed, false);
  assert.equal(c.failed, true);
  assert.ok(c.notComparable?.includes("shots 3 → 1"), c.notComparable ?? "");
});

test("the terminal table fits the width it is given: fewer columns, then a few lines per row; prose wrapped", () => {
  const { newDir, baseDir } = jnliPair(100, bits(100, 60), bits(100, 40), 60, 40);
  const c = compareRuns(runScores(newDir), runScores(baseDir), opts({ maxDrop: 1 }));
  const full = renderComparisonTable(c);
  const headOf = (table: string) => table.split("\n").find((line) => line.includes("Task"))!;
  // Unlimited: all twelve columns, as before.
  assert.match(headOf(full), /Metric.*MDD.*Test.*Max drop.*Gate/);
  const fullWidth = Math.max(...full.split("\n").filter((line) => line.includes("│") || line.includes("Task")).map((line) => line.length));
  for (const width of [fullWidth - 1, 72, 50, 40]) {
    const fitted = renderComparisonTable(c, undefined, width);
    for (const line of fitted.split("\n")) {
      // A single word longer than the width (a path) cannot be wrapped; everything else fits.
      if (!line.trim().includes(" ")) continue;
      assert.ok(line.length <= width, `width ${width}: ${JSON.stringify(line)} is ${line.length} long`);
    }
    // Whatever the width, the row, both scores, the difference and the verdict are there.
    assert.match(fitted, /jnli-1\.1-0\.3/);
    assert.match(fitted, /60\.00/);
    assert.match(fitted, /40\.00/);
    assert.match(fitted, /−20\.00/);
    assert.match(fitted, /FAIL/);
    assert.match(fitted, /Gate FAILED/);
  }
  // Just under the full width, the least needed columns go first.
  const narrower = headOf(renderComparisonTable(c, undefined, fullWidth - 1));
  assert.doesNotMatch(narrower, /Test|MDD/);
  assert.match(narrower, /p gate \(Holm\)/);
});
