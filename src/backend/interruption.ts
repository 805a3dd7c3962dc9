// Stopping a call through an abort signal (Ctrl-C, SIGTERM, SIGHUP): the error it ends with and
// the wrapper that lets the caller go at once while the engine finishes its current work, so a
// run can score what it has instead of waiting for the chunk in flight. The signal's name
// travels as the abort reason (`controller.abort("SIGTERM")`), so the error can name it and
// give the exit code the shell convention expects.

import { UserError } from "../util/errors.js";
import { isStopSignal, signalExitCode, type StopSignal } from "../util/stopSignals.js";

/** Thrown by a call that was stopped through the abort signal. */
export class InterruptedError extends UserError {
  /** The signal that stopped the run (SIGINT when the abort named none). */
  readonly signal: StopSignal;
  constructor(message = "interrupted", signal: StopSignal = "SIGINT") {
    super("interrupted", message);
    this.name = "InterruptedError";
    this.signal = signal;
  }

  /** 128 + the signal's number: 130 (SIGINT), 143 (SIGTERM), 129 (SIGHUP). */
  get exitCode(): number {
    return signalExitCode(this.signal);
  }
}

/** The stop signal an abort names (its reason), SIGINT when it names none. */
export function stopSignalOf(signal: AbortSignal | undefined): StopSignal {
  const reason: unknown = signal?.reason;
  return isStopSignal(reason) ? reason : "SIGINT";
}

/** How a stop is named in results and messages: "interrupted" (Ctrl-C) or "interrupted by SIGTERM". */
export function interruptedReason(signal: StopSignal): string {
  return signal === "SIGINT" ? "interrupted" : `interrupted by ${signal}`;
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new InterruptedError(undefined, stopSignalOf(signal));
}

/** Rejects as soon as the signal fires; the inner call's late answers are then dropped. */
export function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined, message?: string): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new InterruptedError(message, stopSignalOf(signal)));
    if (signal.aborted) return onAbort();
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener("abort", onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
    );
  });
}
