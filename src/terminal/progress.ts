// Live progress of a run on stderr. On a terminal: one bar per phase (cli-progress), redrawn
// in place, with the task being computed, requests done/total, tokens/s, elapsed time and ETA.
// In a pipe or with CI set: the same fields as one plain line every `intervalSeconds` (and one
// when a phase ends), so a CI log shows signs of life without a line per request.

import cliProgress from "cli-progress";
import type { RunProgress } from "../api/progress.js";
import { terminalWidth } from "./width.js";

export type ProgressMode = "bar" | "lines" | "off";

/** How progress is shown on `stream`: off with --quiet, plain lines in CI or a pipe, else a bar. */
export function progressMode(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv, quiet: boolean): ProgressMode {
  if (quiet) return "off";
  const ci = env.CI !== undefined && !["", "0", "false"].includes(env.CI.toLowerCase());
  if (ci || stream.isTTY !== true || env.TERM === "dumb") return "lines";
  return "bar";
}

/** 75 s -> "1m15s", 3725 s -> "1h02m"; null -> "–". */
export function formatDuration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return "–";
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}

/** What one phase has done, as shown: counts, task, rates and times (from the phase's first report). */
export interface PhaseView {
  phase: RunProgress["phase"];
  done: number;
  total: number;
  task: string | undefined;
  /** Tokens per second since the phase began; null before any token was counted. */
  tokensPerSecond: number | null;
  elapsedSeconds: number;
  /** Seconds left at the phase's rate of computed requests; null until that rate is known. */
  etaSeconds: number | null;
  /**
   * Phases still to come, not yet timed (their rate is measured only once they run: a generation
   * costs many times a log-likelihood), e.g. `generate: 20 requests`; empty in the last phase,
   * where the phase's ETA is the whole run's.
   */
  untimed: string[];
}

/** Accumulates one phase's reports and derives rates against a clock. */
export class PhaseTracker {
  private startedAt: number;
  private firstDone: number | null = null;
  private firstDoneAt = 0;
  private firstTokens: number | undefined;
  private latest: RunProgress;
  private lastTask: string | undefined;
  /** When the phase finished: its elapsed time and rate stay as they were then. */
  private finishedAt: number | null = null;

  constructor(first: RunProgress, now: number) {
    this.startedAt = now;
    this.latest = first;
    this.firstTokens = first.tokensEvaluated;
    this.update(first, now);
  }

  get phase(): RunProgress["phase"] {
    return this.latest.phase;
  }

  get finished(): boolean {
    return this.latest.done >= this.latest.total;
  }

  update(report: RunProgress, now: number): void {
    // The first report of a phase already counts its cache hits: the rate starts from it.
    if (this.firstDone === null) {
      this.firstDone = report.done;
      this.firstDoneAt = now;
    }
    this.latest = report;
    if (report.task !== undefined) this.lastTask = report.task;
    this.firstTokens ??= report.tokensEvaluated;
    if (report.done >= report.total) this.finishedAt ??= now;
  }

  view(clock: number): PhaseView {
    const { phase, done, total, tokensEvaluated } = this.latest;
    // A finished phase is frozen: the clock stops at its end, so later phases do not dilute its rate.
    const now = this.finishedAt ?? clock;
    const elapsedSeconds = (now - this.startedAt) / 1000;
    const rateSeconds = (now - this.firstDoneAt) / 1000;
    const computed = done - (this.firstDone ?? done);
    let etaSeconds: number | null = done >= total ? 0 : null;
    if (etaSeconds === null && computed > 0 && rateSeconds > 0) etaSeconds = ((total - done) * rateSeconds) / computed;
    const tokens = tokensEvaluated !== undefined && this.firstTokens !== undefined ? tokensEvaluated - this.firstTokens : null;
    return {
      phase,
      done,
      total,
      task: this.lastTask,
      tokensPerSecond: tokens !== null && tokens > 0 && elapsedSeconds > 0 ? tokens / elapsedSeconds : null,
      elapsedSeconds,
      etaSeconds,
      untimed: this.finishedAt === null ? (this.latest.upcoming ?? []).map((u) => `${u.phase}: ${u.requests.toLocaleString("en-US")} request${u.requests === 1 ? "" : "s"}`) : [],
    };
  }
}

const percent = (v: PhaseView): string => `${v.total > 0 ? Math.floor((100 * v.done) / v.total) : 100}%`;
const rate = (v: PhaseView): string => (v.tokensPerSecond === null ? "– tok/s" : `${Math.round(v.tokensPerSecond).toLocaleString("en-US")} tok/s`);

/**
 * The whole run's time left: this phase's ETA, and when phases follow, "at least" that, naming
 * them (`run ≥ 12s + generate: 20 requests`): their rate is unknown until they start, and a
 * guess from this phase's would be several times too short.
 */
export function runEta(v: PhaseView): string | null {
  if (v.untimed.length === 0) return null;
  // Before this phase's rate is known there is no bound to give: only what follows.
  if (v.etaSeconds === null) return `then ${v.untimed.join(" + ")}`;
  return `run ≥ ${formatDuration(v.etaSeconds)} + ${v.untimed.join(" + ")}`;
}

/** The plain line (CI, pipes): every field, one line. */
export function plainProgressLine(v: PhaseView): string {
  const run = runEta(v);
  return `progress: ${v.phase} ${v.done}/${v.total} (${percent(v)}) · task ${v.task ?? "–"} · ${rate(v)} · elapsed ${formatDuration(v.elapsedSeconds)} · ETA ${formatDuration(v.etaSeconds)}${run ? ` (${run})` : ""}`;
}

/**
 * The bar line, fitted to `width` columns: phase, task, bar, counts, rate, elapsed, ETA. The
 * bar shrinks first (and goes under 6 cells), then the task name is cut.
 */
export function barProgressLine(v: PhaseView, width: number): string {
  const head = `${v.phase} `;
  const counts = ` ${v.done}/${v.total} ${percent(v)}`;
  const eta = `ETA ${formatDuration(v.etaSeconds)}`;
  const run = runEta(v);
  // On a narrow terminal the whole run's ETA goes first, then the elapsed time, then the rate; the ETA stays.
  const tails = [
    ...(run ? [`${counts} · ${rate(v)} · ${formatDuration(v.elapsedSeconds)} elapsed · ${eta} (${run})`, `${counts} · ${rate(v)} · ${eta} (${run})`, `${counts} · ${eta} (${run})`] : []),
    `${counts} · ${rate(v)} · ${formatDuration(v.elapsedSeconds)} elapsed · ${eta}`,
    `${counts} · ${rate(v)} · ${eta}`,
    `${counts} · ${eta}`,
  ];
  let task = v.task ?? "–";
  const minTask = Math.min(task.length, 8);
  const tail = tails.find((t) => head.length + minTask + t.length <= width) ?? tails.at(-1)!;
  const room = width - head.length - tail.length;
  let barSize = Math.min(30, room - task.length - 1);
  if (barSize < 6) barSize = 0;
  if (task.length + (barSize > 0 ? barSize + 1 : 0) > room) task = room >= 4 ? task.slice(0, room - 1) + "…" : "";
  const filled = v.total > 0 ? Math.round((barSize * Math.min(v.done, v.total)) / v.total) : barSize;
  const bar = barSize > 0 ? ` ${"█".repeat(filled)}${"░".repeat(barSize - filled)}` : "";
  return `${head}${task}${bar}${tail}`.slice(0, Math.max(0, width));
}

/** Shows a run's progress on a stream; `log` prints a line without breaking the bar. */
export interface ProgressDisplay {
  update(report: RunProgress): void;
  log(line: string): void;
  /** Final redraw; the display writes nothing after this. */
  stop(): void;
}

export interface ProgressDisplayOptions {
  stream: NodeJS.WriteStream;
  mode: ProgressMode;
  /** Lines mode: seconds between lines (default 30). */
  intervalSeconds?: number;
  now?: () => number;
}

export function createProgressDisplay(options: ProgressDisplayOptions): ProgressDisplay {
  if (options.mode === "bar") return barDisplay(options);
  if (options.mode === "lines") return linesDisplay(options);
  return { update: () => {}, log: (line) => options.stream.write(line + "\n"), stop: () => {} };
}

function linesDisplay(options: ProgressDisplayOptions): ProgressDisplay {
  const now = options.now ?? Date.now;
  const write = (line: string) => options.stream.write(line + "\n");
  let current: PhaseTracker | undefined;
  const timer = setInterval(() => {
    if (current && !current.finished) write(plainProgressLine(current.view(now())));
  }, Math.max(10, (options.intervalSeconds ?? 30) * 1000));
  timer.unref();
  return {
    update(report) {
      const t = now();
      if (!current || current.phase !== report.phase) current = new PhaseTracker(report, t);
      const wasFinished = current.finished;
      current.update(report, t);
      if (current.finished && !wasFinished) write(plainProgressLine(current.view(t)));
    },
    log: write,
    stop() {
      clearInterval(timer);
    },
  };
}

function barDisplay(options: ProgressDisplayOptions): ProgressDisplay {
  const now = options.now ?? Date.now;
  const stream = options.stream;
  const multibar = new cliProgress.MultiBar({
    stream,
    // Lines are fitted to the width by barProgressLine; cli-progress cuts at the edge as well.
    format: (_options, _params, payload: { tracker: PhaseTracker }) => barProgressLine(payload.tracker.view(now()), terminalWidth(stream) - 1),
    hideCursor: true,
    linewrap: false,
    fps: 5,
    forceRedraw: true,
  });
  const bars = new Map<RunProgress["phase"], { tracker: PhaseTracker; bar: cliProgress.SingleBar }>();
  let stopped = false;
  return {
    update(report) {
      if (stopped) return;
      const t = now();
      const entry = bars.get(report.phase);
      if (!entry) {
        const tracker = new PhaseTracker(report, t);
        bars.set(report.phase, { tracker, bar: multibar.create(report.total, report.done, { tracker }) });
        return;
      }
      entry.tracker.update(report, t);
      entry.bar.setTotal(report.total);
      entry.bar.update(report.done);
    },
    log(line) {
      if (stopped || bars.size === 0) stream.write(line + "\n");
      else multibar.log(line + "\n");
    },
    stop() {
      if (stopped) return;
      stopped = true;
      if (bars.size === 0) return;
      multibar.update(); // writes the lines logged since the last redraw
      multibar.stop();
    },
  };
}
