// Colour on a terminal only where it helps, and never where it is not wanted: NO_COLOR
// (https://no-color.org) turns it off, FORCE_COLOR turns it on (in a pipe too), otherwise a
// TTY that is not TERM=dumb gets it. picocolors' own detection also colours any output when
// CI is set and ignores the stream, so it is decided here.

import pc from "picocolors";

export type Colours = ReturnType<typeof pc.createColors>;

/** Whether to colour what is written to `stream`, from the environment's conventions. */
export function colourEnabled(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  const force = env.FORCE_COLOR;
  if (force !== undefined) return !["0", "false"].includes(force.toLowerCase());
  return stream.isTTY === true && env.TERM !== "dumb";
}

/** picocolors' functions, active or plain (identity) as `colourEnabled` decides. */
export function coloursFor(stream: { isTTY?: boolean }, env: NodeJS.ProcessEnv = process.env): Colours {
  return pc.createColors(colourEnabled(stream, env));
}

/** Removes SGR colour codes (for measuring and for tests). */
export function stripColour(text: string): string {
  return text.replace(/\u001b\[[0-9;]*m/g, "");
}
