// Two GGUFs of one model (F16 and Q4_K_M, or one file at two KV cache types): where do their
// answers part? Per task, from the samples files of both runs, on the docs both scored: how often
// they choose the same answer, how far their log-likelihoods move, and the docs where they
// disagree most — so a user sees where quantisation hurts, beyond the paired accuracy test.

import type { TokenizationRule } from "../api/types.js";
import { encodePair, separatePair, type Encode } from "../backend/tokenization.js";
import { MMLU_GROUP } from "../paper/suites.js";
import { loadSampleChoices, type RunScores, type SampleChoices } from "../results/read.js";
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
  /**
   * With a tokenizer (`compare --tokenizer`): |Δ log-likelihood| divided by the number of
   * continuation tokens the log-likelihood sums over, mean and max over the choices; null
   * without a tokenizer, or when a request does not record its tokenization rule.
   */
  perToken: PerTokenDelta | null;
  /** Up to `top` docs where the runs chose differently, largest max |Δ| first. */
  largestDisagreements: Disagreement[];
}

export interface PerTokenDelta {
  /** Mean and max over choices of |Δ log-likelihood| / continuation tokens, in nats per token. */
  meanAbsDelta: number;
  maxAbsDelta: number;
  /** Continuation tokens counted (Σ over the choices). */
  tokens: number;
  /** Choices with at least one continuation token (the others score 0 in both runs and are left out). */
  choices: number;
}

/** The evaluated model's vocabulary: what the backend tokenized the requests with. */
export interface ContinuationTokenizer {
  tokenize(text: string): number[];
  readonly eosId: number;
}

/**
 * How many tokens the backend scored for a continuation: the pure rules the backend applies
 * (src/backend/planning/planner.ts `tokenizeScoringRequests`). Truncation cuts only the context.
 */
export function continuationTokenCount(context: string, continuation: string, rule: TokenizationRule, tokenizer: ContinuationTokenizer, encodeContext?: Encode): number {
  const encode: Encode = (text) => tokenizer.tokenize(text);
  const pair = rule === "encode_pair" ? encodePair(context, continuation, encode, tokenizer.eosId, encodeContext ?? encode) : separatePair(context, continuation, encode, tokenizer.eosId, encodeContext ?? encode);
  return pair.continuationTokens.length;
}

/** Continuation token counts of one doc's choices, or null when a rule is not recorded. */
function tokenCounts(x: SampleChoices, tokenizer: ContinuationTokenizer): number[] | null {
  if (x.rules.some((r) => r === null)) return null;
  // The choices of one doc share their context: encode it once.
  const memo = new Map<string, number[]>();
  const encodeContext: Encode = (text) => {
    let tokens = memo.get(text);
    if (tokens === undefined) memo.set(text, (tokens = tokenizer.tokenize(text)));
    return tokens;
  };
  return x.continuations.map((c, i) => continuationTokenCount(x.contexts[i]!, c, x.rules[i]!, tokenizer, encodeContext));
}

/** Index of the first maximum (numpy argmax, as acc picks). */
function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** Agreement per task row of two runs; tasks without loglikelihood samples on both sides are left out. */
export function agreementOf(newRun: RunScores, baseRun: RunScores, top = 5, tokenizer?: ContinuationTokenizer): TaskAgreement[] {
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
    // Per token: null once a doc's rules are unknown (then the task has no per-token figure).
    let perToken: { sum: number; max: number; tokens: number; choices: number } | null = tokenizer ? { sum: 0, max: 0, tokens: 0, choices: 0 } : null;
    const disagreements: Disagreement[] = [];
    for (const task of tasks) {
      const a = loadSampleChoices(newRun, task);
      const b = loadSampleChoices(baseRun, task);
      if (!a || !b) continue;
      for (const [docId, x] of a) {
        const y = b.get(docId);
        if (!y || y.logprobs.length !== x.logprobs.length || y.continuations.some((c, i) => c !== x.continuations[i])) continue;
        docs++;
        let docMax = 0;
        // Both runs scored the same text; the new run's contexts and rules give the counts.
        const counts = perToken && tokenizer ? tokenCounts(x, tokenizer) : null;
        if (counts === null) perToken = null;
        for (let i = 0; i < x.logprobs.length; i++) {
          const d = Math.abs(x.logprobs[i]! - y.logprobs[i]!);
          sumAbs += d;
          choices++;
          docMax = Math.max(docMax, d);
          const n = counts?.[i] ?? 0;
          if (perToken && n > 0) {
            perToken.sum += d / n;
            perToken.max = Math.max(perToken.max, d / n);
            perToken.tokens += n;
            perToken.choices++;
          }
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
      perToken: perToken && perToken.choices > 0 ? { meanAbsDelta: perToken.sum / perToken.choices, maxAbsDelta: perToken.max, tokens: perToken.tokens, choices: perToken.choices } : null,
      largestDisagreements: disagreements.slice(0, top),
    });
  }
  return out;
}
