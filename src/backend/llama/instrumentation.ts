// What the backend measures about its own work. Integer work counters are always kept
// (they cost an addition each, and `stats()` reports them). Timings, per-result
// callbacks and the calibration evaluation are benchmark instrumentation: only a backend
// created with `instrument: true` (bench/run.ts) pays for them.

import type { ControlledEvaluateIndexOutput, ControlledEvaluateInputItem, LlamaContextSequence, Token } from "node-llama-cpp";
import type { BackendStats } from "../../api/types.js";

/** Work counters, cumulative over a backend's calls (see `BackendStats`). */
export interface WorkCounters {
  requestTokens: number;
  tokensEvaluated: number;
  prefixTrieTokens: number;
  scoredPositions: number;
  generatedTokens: number;
  /** llama_decode calls (a merged launch of several sequences is one per batch-size of tokens). */
  decodes: number;
}

export function newWorkCounters(): WorkCounters {
  return { requestTokens: 0, tokensEvaluated: 0, prefixTrieTokens: 0, scoredPositions: 0, generatedTokens: 0, decodes: 0 };
}

export type EvaluationOutputs = Array<ControlledEvaluateIndexOutput | undefined>;

/** Runs engine evaluations for the scorer and the generator, timing them or not. */
export interface EvaluationProbe {
  /** Evaluates `items` for scores and hands the outputs to `read` (synchronous), whose result it returns. */
  score<T>(sequence: LlamaContextSequence, items: ControlledEvaluateInputItem[], read: (outputs: EvaluationOutputs) => T): Promise<T>;
  /** Evaluates `items` for the next generated token. */
  generate(sequence: LlamaContextSequence, items: ControlledEvaluateInputItem[]): Promise<EvaluationOutputs>;
  /** Greedy tokens after `tokens`, one per step, until the caller stops reading (see `greedyTokens`). */
  greedy(sequence: LlamaContextSequence, tokens: Token[]): AsyncGenerator<number>;
  /** Called when a scoring call has finished, with the sequence it may use for a measurement. */
  scoringDone(sequence: LlamaContextSequence | undefined): Promise<void>;
  timings(): Pick<BackendStats, "evaluationMs" | "scoreExtractionMs" | "generationSteps">;
}

/**
 * Evaluates `tokens`, then yields the argmax next token and evaluates it, step by step, for as
 * long as the caller reads; stopping the loop leaves the last yielded token unevaluated.
 * node-llama-cpp's `evaluate` keeps one sampler for all steps, where a `controlledEvaluate` per
 * step creates and frees one each time (measured on the 129M model at depth 600, one thread:
 * 9.0 against 10.2–12.3 ms per step). Temperature 0 is its greedy chain. End-of-generation
 * tokens are yielded like any other, since HF `generate` here stops only at the primary stop
 * token. `onStep` gets the milliseconds each step spent in the engine.
 */
export async function* greedyTokens(sequence: LlamaContextSequence, tokens: Token[], onStep?: (ms: number, first: boolean) => void): AsyncGenerator<number> {
  const steps = sequence.evaluate(tokens, { temperature: 0, yieldEogToken: true });
  try {
    for (let first = true; ; first = false) {
      const started = performance.now();
      const step = await steps.next();
      onStep?.(performance.now() - started, first);
      if (step.done === true) return;
      yield step.value;
    }
  } finally {
    await steps.return(undefined);
  }
}

/** Production: evaluations as they are, nothing measured. */
export const UNTIMED: EvaluationProbe = {
  async score(sequence, items, read) {
    return read(await sequence.controlledEvaluate(items));
  },
  generate(sequence, items) {
    return sequence.controlledEvaluate(items);
  },
  greedy(sequence, tokens) {
    return greedyTokens(sequence, tokens);
  },
  async scoringDone() {},
  timings: () => ({ evaluationMs: 0, scoreExtractionMs: 0 }),
};

/**
 * Benchmarks: wall time in the engine, and the share of it spent extracting scores.
 * Results come out one by one after the forward pass, each from one pass over the
 * vocabulary: the gap between consecutive results of an evaluation is one extraction.
 * Each evaluation's first result has no observable start and is charged the mean gap.
 */
export class TimingProbe implements EvaluationProbe {
  private evaluationMs = 0;
  /** Result handling in the scorer, measured. */
  private resultHandlingMs = 0;
  private sampleIntervalsMs = 0;
  private sampleIntervals = 0;
  private unmeasuredSamples = 0;
  private generationStepCount = 0;
  private generationStepMs = 0;

  async score<T>(sequence: LlamaContextSequence, items: ControlledEvaluateInputItem[], read: (outputs: EvaluationOutputs) => T): Promise<T> {
    const resultTimes: number[] = [];
    const started = performance.now();
    const outputs = await sequence.controlledEvaluate(items, { onTokenResult: () => resultTimes.push(performance.now()) });
    const handlingStarted = performance.now();
    this.evaluationMs += handlingStarted - started;
    const value = read(outputs);
    this.resultHandlingMs += performance.now() - handlingStarted;
    this.recordResultTimes(resultTimes);
    return value;
  }

  async generate(sequence: LlamaContextSequence, items: ControlledEvaluateInputItem[]): Promise<EvaluationOutputs> {
    const started = performance.now();
    const outputs = await sequence.controlledEvaluate(items);
    this.evaluationMs += performance.now() - started;
    return outputs;
  }

  greedy(sequence: LlamaContextSequence, tokens: Token[]): AsyncGenerator<number> {
    return greedyTokens(sequence, tokens, (ms, first) => {
      this.evaluationMs += ms;
      // The first step evaluates the prompt's tail as well: prefill, not a generation step.
      if (!first) {
        this.generationStepCount++;
        this.generationStepMs += ms;
      }
    });
  }

  /**
   * When every evaluation so far read one position (MMLU: the four choices share one), no
   * gap was seen: measure one on 8 positions of the last input, after the work is done.
   * This clears the sequence's cache, which is why production runs never do it.
   */
  async scoringDone(sequence: LlamaContextSequence | undefined): Promise<void> {
    if (this.sampleIntervals > 0 || this.unmeasuredSamples === 0) return;
    if (sequence === undefined || sequence.contextSize < 10) return;
    const tokens = [...sequence.contextTokens.slice(0, 9)];
    if (tokens.length < 9) return;
    await sequence.clearHistory();
    const filter = { tokens: tokens.slice(0, 4), includeSelected: true };
    const times: number[] = [];
    await sequence.controlledEvaluate(
      tokens.map((token, position) => (position === 0 ? token : [token, { generateNext: { token: true, logits: { filter }, totalLogitWeight: true } }])),
      { onTokenResult: () => times.push(performance.now()) },
    );
    await sequence.clearHistory();
    for (let k = 1; k < times.length; k++) {
      this.sampleIntervalsMs += times[k]! - times[k - 1]!;
      this.sampleIntervals++;
    }
  }

  timings(): Pick<BackendStats, "evaluationMs" | "scoreExtractionMs" | "generationSteps"> {
    const meanSampleMs = this.sampleIntervals > 0 ? this.sampleIntervalsMs / this.sampleIntervals : 0;
    return {
      evaluationMs: this.evaluationMs,
      scoreExtractionMs: this.resultHandlingMs + this.sampleIntervalsMs + this.unmeasuredSamples * meanSampleMs,
      generationSteps: { count: this.generationStepCount, ms: this.generationStepMs },
    };
  }

  private recordResultTimes(times: number[]): void {
    if (times.length === 0) return;
    this.unmeasuredSamples++;
    for (let k = 1; k < times.length; k++) {
      this.sampleIntervalsMs += times[k]! - times[k - 1]!;
      this.sampleIntervals++;
    }
  }
}
