// What a run reports while it evaluates: plain data, rendered by src/terminal/progress.ts.

/** One progress report of a run's current phase. */
export interface RunProgress {
  /** The request type being answered: all log-likelihoods first, then all generations. */
  phase: "loglikelihood" | "generate";
  /** Distinct requests of the phase answered so far (cache hits included) and in all. */
  done: number;
  total: number;
  /** The task of the request answered last, when known. */
  task?: string;
  /** Tokens the engine has run through the model since it was loaded (absent when it does not count them). */
  tokensEvaluated?: number;
  /** Phases still to come after this one, with their request counts (for an ETA of the whole run). */
  upcoming?: { phase: "loglikelihood" | "generate"; requests: number }[];
}
