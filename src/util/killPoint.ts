// A test hook for crash tests: `RAKUTEN_EVAL_KILL_AT=<point>:<n>[:<SIGNAL>]` makes the process
// send itself SIGKILL (or the signal named, e.g. SIGTERM) the n-th time it passes
// `killPoint(<point>)` (n defaults to 1), so a test can cut or stop a run at an exact moment
// (model load, the n-th stored answer, a step of publishing the outputs) and check what
// survives. Without the variable it does nothing.

const counts = new Map<string, number>();

export function killPoint(point: string): void {
  const spec = process.env["RAKUTEN_EVAL_KILL_AT"];
  if (spec === undefined || spec === "") return;
  const [name, nth, signal] = spec.split(":");
  if (name !== point) return;
  const seen = (counts.get(point) ?? 0) + 1;
  counts.set(point, seen);
  if (seen === Number(nth || "1")) process.kill(process.pid, (signal || "SIGKILL") as NodeJS.Signals);
}
