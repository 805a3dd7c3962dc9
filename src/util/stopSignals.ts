// The signals that end a job the way real jobs end: Ctrl-C (SIGINT), a CI timeout, `docker stop`,
// a Kubernetes eviction or deadline (SIGTERM), a closed terminal or SSH session (SIGHUP). A
// command that must stop cleanly (keep what finished, write partial results) treats each the
// same: the first asks it to stop, a second ends the process at once.

import os from "node:os";

export const STOP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

export function isStopSignal(value: unknown): value is StopSignal {
  return typeof value === "string" && (STOP_SIGNALS as readonly string[]).includes(value);
}

/**
 * The exit code of a process that stopped because of `signal`: 128 + its number, as a shell
 * reports a process the signal killed (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP).
 */
export function signalExitCode(signal: StopSignal): number {
  return 128 + os.constants.signals[signal];
}

/**
 * Calls `onFirst` on the first stop signal the process receives and `onAgain` on every later
 * one (of any of the three). Returns a function that removes the handlers.
 */
export function onStopSignals(onFirst: (signal: StopSignal) => void, onAgain: (signal: StopSignal) => void): () => void {
  let received = 0;
  const handlers = STOP_SIGNALS.map((signal) => {
    const handler = () => {
      received++;
      if (received === 1) onFirst(signal);
      else onAgain(signal);
    };
    process.on(signal, handler);
    return [signal, handler] as const;
  });
  return () => {
    for (const [signal, handler] of handlers) process.off(signal, handler);
  };
}
