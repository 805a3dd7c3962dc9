// Stopping a call through an abort signal (Ctrl-C): the error it ends with and the wrapper
// that lets the caller go at once while the engine finishes its current work, so a run
// can score what it has instead of waiting for the chunk in flight.

import { UserError } from "../errors.js";

/** Thrown by a call that was stopped through the abort signal. */
export class InterruptedError extends UserError {
  constructor(message = "interrupted") {
    super("interrupted", message);
    this.name = "InterruptedError";
  }
}

export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new InterruptedError();
}

/** Rejects as soon as the signal fires; the inner call's late answers are then dropped. */
export function abortable<T>(work: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return work;
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new InterruptedError());
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
