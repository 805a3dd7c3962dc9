// Two GGUFs of one model (F16 and Q4_K_M, or one file at two KV cache types): where do their
// answers part? Per task, from the samples files of both runs, on the docs both scored: how often
// they choose the same answer, how far their log-likelihoods move, and the docs where they
// disagree most — so a user sees where quantisation hurts, beyond the paired accuracy test.

import { MMLU_GROUP } from "../paper/suites.js";
import { loadSampleChoices, type RunScores } from "../results/read.js";
import { MMLU_KEYS } from "./pairing.js";

export interface Disagreement {
  task: string;
  docId: number;
  /** Index and text of the choice each run picked (argmax log-likelihood). */
  newChoice: { index: number; text: string };
  baselineChoice: { index: number; text: string };
  /** The new run's log-likelihoods of [its choice, the baseline's choice]. */
  newLogprobs: [number, number];
  /** The baseline's log-likelihoods of [the new run's choice, its choice]. */
  baselineLogprobs: [number, number];
  /** Largest |Δ log-likelihood| over the doc's choices. */
  maxAbsDelta: number;
}

export interface TaskAgreement {
  key: string;
  task: string;
  /** Docs both runs scored with the same continuations. */
  docs: number;
  /** Docs where both runs chose the same answer (argmax log-likelihood, acc's choice). */
  sameChoice: number;
  agreement: number;
  /** Choices compared (Σ over docs). */
  choices: number;
  /** Mean and max |log-likelihood(new) − log-likelihood(baseline)| per choice, in nats. */
  meanAbsDelta: number;
  maxAbsDelta: number;
  /** Up to `top` docs where the runs chose differently, largest max |Δ| first. */
  largestDisagreements: Disagreement[];
}

/** Index of the first maximum (numpy argmax, as acc picks). */
function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** Agreement per task row of two runs; tasks without loglikelihood samples on both sides are left out. */
export function agreementOf(newRun: RunScores, baseRun: RunScores, top = 5): TaskAgreement[] {
  if (newRun.kind !== "run" || baseRun.kind !== "run" || !newRun.dir || !baseRun.dir) return [];
  const out: TaskAgreement[] = [];
  for (const row of newRun.rows) {
    const baseRow = baseRun.rows.find((r) => r.key === row.key);
    if (!baseRow || baseRow.task !== row.task) continue;
    const tasks = MMLU_KEYS.has(row.key) ? (newRun.doc?.group_subtasks[MMLU_GROUP] ?? []).filter((t) => (baseRun.doc?.group_subtasks[MMLU_GROUP] ?? []).includes(t)) : [row.task];
    let docs = 0;
    let same = 0;
    let choices = 0;
    let sumAbs = 0;
    let maxAbs = 0;
    const disagreements: Disagreement[] = [];
    for (const task of tasks) {
      const a = loadSampleChoices(newRun.dir, task);
      const b = loadSampleChoices(baseRun.dir, task);
      if (!a || !b) continue;
      for (const [docId, x] of a) {
        const y = b.get(docId);
        if (!y || y.logprobs.length !== x.logprobs.length || y.continuations.some((c, i) => c !== x.continuations[i])) continue;
        docs++;
        let docMax = 0;
        for (let i = 0; i < x.logprobs.length; i++) {
          const d = Math.abs(x.logprobs[i]! - y.logprobs[i]!);
          sumAbs += d;
          choices++;
          docMax = Math.max(docMax, d);
        }
        maxAbs = Math.max(maxAbs, docMax);
        const cx = argmax(x.logprobs);
        const cy = argmax(y.logprobs);
        if (cx === cy) same++;
        else {
          disagreements.push({
            task,
            docId,
            newChoice: { index: cx, text: x.continuations[cx]! },
            baselineChoice: { index: cy, text: y.continuations[cy]! },
            newLogprobs: [x.logprobs[cx]!, x.logprobs[cy]!],
            baselineLogprobs: [y.logprobs[cx]!, y.logprobs[cy]!],
            maxAbsDelta: docMax,
          });
        }
      }
    }
    if (docs === 0) continue;
    disagreements.sort((p, q) => q.maxAbsDelta - p.maxAbsDelta || p.docId - q.docId);
    out.push({
      key: row.key,
      task: row.task,
      docs,
      sameChoice: same,
      agreement: same / docs,
      choices,
      meanAbsDelta: sumAbs / choices,
      maxAbsDelta: maxAbs,
      largestDisagreements: disagreements.slice(0, top),
    });
  }
  return out;
}
