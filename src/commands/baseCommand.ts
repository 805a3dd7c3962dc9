import { Command, Config, Flags, type Interfaces } from "@oclif/core";
import { diskFullError, UserError, UserErrors } from "../util/errors.js";
import { nearest } from "../util/nearest.js";

/** Parsed flags or arguments by name (oclif's FlagOutput and ArgOutput, which it does not export). */
type ParsedValues = { [name: string]: unknown };

/** Exit codes: 0 success, 1 an unexpected failure, 2 bad input, 128 + the signal when stopped by one (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP). */
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

  /**
   * oclif's parse, then a refusal of any flag or argument given as an empty string: an unset
   * shell variable (`--output "$OUT"`) must not quietly become a default (the working folder).
   * `--tasks ""` has its own message (the command lists it with the other problems).
   */
  protected override async parse<F extends ParsedValues, B extends ParsedValues, A extends ParsedValues>(
    options?: Interfaces.Input<F, B, A>,
    argv?: string[],
  ): Promise<Interfaces.ParserOutput<F, B, A>> {
    const parsed = await super.parse(options, argv);
    const problems = emptyValueProblems(parsed.flags as Record<string, unknown>, parsed.args as Record<string, unknown>, this.id ?? "");
    if (problems.length > 0) throw new UserErrors(problems);
    return parsed;
  }

  protected override async catch(err: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<void> {
    if (this.showStack) process.stderr.write(`${err.stack ?? err.message}\n`);
    if (err.oclif?.exit === 0 && !(err instanceof UserError)) return; // oclif's own exits (help, version)
    const ctor = this.constructor as typeof BaseCommand;
    const { lines, exitCode } = describeError(err, {
      command: this.id ?? "",
      flags: Object.keys({ ...ctor.baseFlags, ...ctor.flags }),
      showStack: this.showStack,
      kept: this.id === "run" ? (process.argv.includes("--no-cache") ? "Nothing was kept for a resume (--no-cache)." : "Finished answers are kept in the request cache.") : undefined,
    });
    for (const line of lines) process.stderr.write(`${line}\n`);
    process.exitCode = exitCode;
  }
}

/**
 * What the command layer prints for an error, one line per problem, and the exit code: a
 * `UserError` as is (2, or 130 for an interrupt), a full disk as a `UserError`, an oclif parse
 * error (missing or conflicting flags, missing argument, unknown flag) with oclif's own reason
 * kept, and anything else as an unexpected failure (1).
 */
export function describeError(
  err: Error & { oclif?: { exit?: number } },
  context: { command: string; flags?: string[]; showStack?: boolean; kept?: string | undefined },
): { lines: string[]; exitCode: number } {
  if (err instanceof UserErrors) return { lines: err.problems.map((p) => `error: ${p.message}`), exitCode: EXIT_BAD_INPUT };
  if (err instanceof UserError) return { lines: [`error: ${err.message}`], exitCode: err.kind === "interrupted" ? interruptedExitCode(err) : EXIT_BAD_INPUT };
  const full = diskFullError(err, context.kept);
  if (full) return { lines: [`error: ${full.message}`], exitCode: EXIT_BAD_INPUT };
  if (err.name === "ExitError" || err.oclif) {
    const help = `see \`${["rakuten-eval", context.command.replace(/:/g, " ")].filter(Boolean).join(" ")} --help\`.`;
    const reasons = oclifReasons(err.message).map((r) => withFlagSuggestions(r.replace(/[.:]$/, ""), context.flags ?? []));
    return { lines: reasons.map((r) => `error: ${r}; ${help}`), exitCode: err.oclif?.exit ?? EXIT_BAD_INPUT };
  }
  return { lines: [`error: ${err.message}${context.showStack ? "" : " (rerun with --debug for the stack trace)"}`], exitCode: 1 };
}

/** `Nonexistent flag: --modle` → `Nonexistent flag: --modle (did you mean --model?)`, for each flag named. */
function withFlagSuggestions(reason: string, flags: string[]): string {
  const m = /^Nonexistent flags?: (.+)$/.exec(reason);
  if (!m || flags.length === 0) return reason;
  const named = m[1]!.split(/,\s*/).map((given) => {
    const meant = nearest(given.replace(/^-+/, "").replace(/=.*$/, ""), flags);
    return meant ? `${given} (did you mean --${meant}?)` : given;
  });
  return `${reason.slice(0, reason.indexOf(":") + 1)} ${named.join(", ")}`;
}

/**
 * Errors that reach the top, outside any command: oclif's "command X not found" (a misspelt
 * command, or an argument given to a command that takes none), in the commands' one-line
 * `error:` form with a suggestion, exit 2. oclif's own exits (help, version) pass silently.
 */
export async function handleTopLevelError(err: Error & { oclif?: { exit?: number } }, root: string): Promise<void> {
  if (err.oclif?.exit === 0) return;
  const notFound = /command (\S+) not found/.exec(err.message.replace(/\u001b\[[0-9;]*m/g, ""));
  if (notFound && !process.argv.includes("--debug")) {
    const id = notFound[1]!;
    const config = await Config.load(root);
    const ids = config.commands.filter((c) => !c.hidden).map((c) => c.id);
    const spaced = (x: string) => x.replace(/:/g, " ");
    const parent = id.slice(0, id.lastIndexOf(":"));
    let line: string;
    if (id.includes(":") && ids.includes(parent)) {
      line = `\`rakuten-eval ${spaced(parent)}\` takes no argument "${id.slice(parent.length + 1)}"; see \`rakuten-eval ${spaced(parent)} --help\`.`;
    } else {
      // oclif joins the words it could not match (`compar x` → compar:x): try them all, then the first.
      const first = id.split(":")[0]!;
      const whole = nearest(spaced(id), ids.map(spaced));
      const given = whole ? spaced(id) : first;
      const meant = whole ?? nearest(first, ids.map(spaced));
      line = meant ? `no command "${given}"; did you mean \`rakuten-eval ${meant}\`? (\`rakuten-eval --help\` lists the commands)` : `no command "${given}"; see \`rakuten-eval --help\` for the commands.`;
    }
    process.stderr.write(`error: ${line}\n`);
    process.exitCode = EXIT_BAD_INPUT;
    return;
  }
  if (process.argv.includes("--debug")) process.stderr.write(`${err.stack ?? err.message}\n`);
  const { lines, exitCode } = describeError(err, { command: "", showStack: process.argv.includes("--debug") });
  for (const line of lines) process.stderr.write(`${line}\n`);
  process.exitCode = exitCode;
}

/** Flags whose empty value the command itself explains. */
const EMPTY_HANDLED_BY_COMMAND = new Set(["tasks"]);

/** One problem per flag or argument given as an empty (or blank) string. */
export function emptyValueProblems(flags: Record<string, unknown>, args: Record<string, unknown>, command: string): UserError[] {
  const blank = (v: unknown) => typeof v === "string" && v.trim() === "";
  const help = `\`${["rakuten-eval", command.replace(/:/g, " ")].filter(Boolean).join(" ")} --help\``;
  const problems: UserError[] = [];
  for (const [name, value] of Object.entries(flags)) {
    if (EMPTY_HANDLED_BY_COMMAND.has(name)) continue;
    if (blank(value) || (Array.isArray(value) && value.some(blank))) {
      problems.push(new UserError("usage", `--${name} is given an empty value (an unset shell variable?); give it a value or leave --${name} out (see ${help}).`));
    }
  }
  for (const [name, value] of Object.entries(args)) {
    if (blank(value)) problems.push(new UserError("usage", `The ${name} argument is empty (an unset shell variable?); give it a value (see ${help}).`));
  }
  return problems;
}

/** An interrupt's exit code: its own (128 + the signal that stopped it), else 130 (Ctrl-C). */
function interruptedExitCode(err: UserError): number {
  const code = (err as UserError & { exitCode?: unknown }).exitCode;
  return typeof code === "number" ? code : 130;
}

/**
 * The reasons in an oclif parse error's message, one per line. oclif words them over several
 * lines ("The following error occurred:" then the reasons indented; "Missing 1 required arg:"
 * then "name  description"; then "See more help with --help" and notes): keep the reasons.
 */
export function oclifReasons(message: string): string[] {
  const lines = message.replace(/\u001b\[[0-9;]*m/g, "").split("\n");
  const body: string[] = [];
  for (const line of lines) {
    if (/^\s*See more help with --help\s*$/.test(line) || /^\s*Note:/.test(line)) break;
    if (line.trim() !== "") body.push(line.trim());
  }
  const head = (body[0] ?? message.trim()).replace(/^›?\s*Error:\s*/, "").trim();
  const rest = body.slice(1);
  if (/^The following errors? occurred:?$/.test(head) && rest.length > 0) return rest;
  if (/^Missing \d+ required args?:?$/.test(head) && rest.length > 0) {
    return rest.map((l) => {
      const [name, ...description] = l.split(/\s{2,}/);
      const what = description.join(" ").trim().replace(/\.$/, "");
      return `Missing required argument ${name}${what ? ` (${what})` : ""}`;
    });
  }
  return [rest.length > 0 ? `${head.replace(/:$/, "")}: ${rest.join("; ")}` : head];
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

/**
 * lm-eval v0.4's chat flags. Its `--apply_chat_template [NAME]` takes an optional value, which
 * oclif flags cannot: `--apply-chat-template` uses the model's template, `--chat-template NAME`
 * (implies it) one of the model's named templates (`tokenizer.chat_template.NAME`) or a Jinja file.
 */
export const chatFlags = {
  "apply-chat-template": Flags.boolean({ description: "Render every prompt with the model's chat template (lm-eval v0.4 --apply_chat_template; the paper used none).", default: false, helpGroup: "CHAT" }),
  "chat-template": Flags.string({ description: "The template to apply: a named template of the GGUF (tokenizer.chat_template.NAME) or a Jinja file; implies --apply-chat-template.", helpGroup: "CHAT" }),
  "fewshot-as-multiturn": Flags.boolean({ description: "Shots as alternating user/assistant turns (needs --apply-chat-template).", default: false, helpGroup: "CHAT" }),
  "system-instruction": Flags.string({ description: "Text of a system turn before the prompt (before the context without a template), as lm-eval's --system_instruction.", helpGroup: "CHAT" }),
};

/** The chat flags as the library takes them (`ChatFlags` of src/run/chatSetup.ts). */
export function chatOptions(flags: { "apply-chat-template": boolean; "chat-template"?: string | undefined; "fewshot-as-multiturn": boolean; "system-instruction"?: string | undefined }): {
  applyChatTemplate?: boolean | string;
  fewshotAsMultiturn?: boolean;
  systemInstruction?: string;
} {
  return {
    ...(flags["chat-template"] !== undefined ? { applyChatTemplate: flags["chat-template"] } : flags["apply-chat-template"] ? { applyChatTemplate: true } : {}),
    ...(flags["fewshot-as-multiturn"] ? { fewshotAsMultiturn: true } : {}),
    ...(flags["system-instruction"] !== undefined ? { systemInstruction: flags["system-instruction"] } : {}),
  };
}
