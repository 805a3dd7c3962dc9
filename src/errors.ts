// Library code throws these; the command layer turns them into one line and an exit code.
// Each message names the problem and the fix, so that it can be shown as is.

export type UserErrorKind =
  | "usage" // a bad flag or argument
  | "model" // missing, unreadable or corrupt model file, context too small
  | "dataset" // missing, altered or malformed dataset file
  | "output" // output directory not writable
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
  readonly reason: "missing" | "checksum" | "count" | "parse";
  constructor(reason: DatasetError["reason"], file: string, message: string) {
    super("dataset", message);
    this.name = "DatasetError";
    this.file = file;
    this.reason = reason;
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
