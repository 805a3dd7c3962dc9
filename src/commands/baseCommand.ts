import { Command, Flags } from "@oclif/core";
import { UserError, UserErrors } from "../errors.js";

/** Exit codes: 0 success, 1 an unexpected failure, 2 bad input, 130 interrupted. */
export const EXIT_BAD_INPUT = 2;

/**
 * Turns errors into one clear line each (no stack trace unless --debug) and a
 * consistent exit code. Library code throws typed errors; only this edge prints.
 */
export abstract class BaseCommand extends Command {
  static override baseFlags = {
    debug: Flags.boolean({ description: "Print stack traces on errors.", default: false, helpGroup: "GLOBAL" }),
  };

  /** Read from argv so that it also applies to errors raised while parsing flags. */
  protected get showStack(): boolean {
    return process.argv.includes("--debug");
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<void> {
    if (this.showStack) process.stderr.write(`${err.stack ?? err.message}\n`);
    if (err instanceof UserErrors) {
      for (const p of err.problems) process.stderr.write(`error: ${p.message}\n`);
      process.exitCode = EXIT_BAD_INPUT;
      return;
    }
    if (err instanceof UserError) {
      process.stderr.write(`error: ${err.message}\n`);
      process.exitCode = err.kind === "interrupted" ? 130 : EXIT_BAD_INPUT;
      return;
    }
    // oclif's own exits (help, version) and parse errors (unknown flag, bad value).
    if (err.oclif?.exit === 0) return;
    if (err.name === "ExitError" || err.oclif) {
      const first = (err.message.split("\n").find((l) => l.trim() !== "") ?? err.message).replace(/^\s*›?\s*Error:\s*/, "").trim();
      process.stderr.write(`error: ${first}; see \`rakuten-eval ${this.id ?? ""} --help\`.\n`);
      process.exitCode = err.oclif?.exit ?? EXIT_BAD_INPUT;
      return;
    }
    process.stderr.write(`error: ${err.message}${this.showStack ? "" : " (rerun with --debug for the stack trace)"}\n`);
    process.exitCode = 1;
  }
}

/** Parse `--shots`: one non-negative integer, or a comma list of them. */
export function parseShots(value: string | undefined): number[] | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(",").map((s) => s.trim());
  const out: number[] = [];
  for (const p of parts) {
    if (!/^\d+$/.test(p)) {
      throw new UserError("usage", `--shots "${value}" is not a non-negative integer or a comma list of them (e.g. --shots 3 or --shots 3,3,3,2,1,1,0,5).`);
    }
    out.push(Number(p));
  }
  return out;
}

export function parseLimit(value: number | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!Number.isInteger(value) || value <= 0) throw new UserError("usage", `--limit ${value} must be a positive integer (the first N docs of the shuffled order).`);
  return value;
}
