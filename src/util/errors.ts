// Library code throws these; the command layer turns them into one line and an exit code.
// Each message names the problem and the fix, so that it can be shown as is.

export type UserErrorKind =
  | "usage" // a bad flag or argument
  | "model" // missing, unreadable or corrupt model file, context too small
  | "dataset" // missing, altered or malformed dataset file
  | "output" // output directory not writable
  | "cache" // the request cache cannot be opened or written at start (disk full, not a file)
  | "interrupted";

/** An error caused by the user's input; shown without a stack trace, exit code 2. */
export class UserError extends Error {
  readonly kind: UserErrorKind;
  constructor(kind: UserErrorKind, message: string) {
    super(message);
    this.name = "UserError";
    this.kind = kind;
  }
}

/** A dataset file problem: the message names the file (and line) and the fix. */
export class DatasetError extends UserError {
  readonly file: string;
  /**
   * `missing`: absent (the task is skipped); `not-file`: a directory, FIFO or other non-regular
   * file where the file should be; `empty`: no records; `encoding`: not valid UTF-8; the rest:
   * the content differs from the manifest or does not parse. Only `missing` skips a task.
   */
  readonly reason: "missing" | "not-file" | "checksum" | "count" | "parse" | "empty" | "encoding";
  /** The official source the message names, when it names one (so that a list of skips can name it once). */
  readonly source: { name: string; url: string } | undefined;
  constructor(reason: DatasetError["reason"], file: string, message: string, source?: { name: string; url: string }) {
    super("dataset", message);
    this.name = "DatasetError";
    this.file = file;
    this.reason = reason;
    this.source = source;
  }
}

/** Several problems found together (validation lists them all before failing). */
export class UserErrors extends UserError {
  readonly problems: UserError[];
  constructor(problems: UserError[]) {
    super(problems[0]?.kind ?? "usage", problems.map((p) => p.message).join("\n"));
    this.name = "UserErrors";
    this.problems = problems;
  }
}

/** Error codes of a full disk or an exhausted quota. */
const DISK_FULL = new Set(["ENOSPC", "EDQUOT"]);

/**
 * A full disk (ENOSPC) or quota (EDQUOT) while writing outputs, as one line naming the path and
 * the fix; null for any other error. The path is the error's own (`path`, or `dest` of a rename);
 * a writer whose error lacks one (a bare `write`) should set `path` on it before rethrowing.
 * `kept` says what survives (e.g. the request cache's answers), as a sentence; omitted when none.
 */
export function diskFullError(error: unknown, kept?: string): UserError | null {
  const e = error as (NodeJS.ErrnoException & { dest?: unknown }) | null;
  if (e === null || typeof e !== "object" || typeof e.code !== "string" || !DISK_FULL.has(e.code)) return null;
  const target = typeof e.path === "string" && e.path !== "" ? e.path : typeof e.dest === "string" && e.dest !== "" ? e.dest : null;
  const what = e.code === "EDQUOT" ? "Disk quota exceeded" : "No space left on device";
  return new UserError("output", `${what} writing ${target ?? "the outputs"}; free space or pass --output on another disk.${kept ? ` ${kept}` : ""}`);
}
