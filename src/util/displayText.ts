// Text that reaches a terminal, a Markdown table or an HTML report from outside (a run's
// label, a name read from a results file): refused at the door when it is a flag, shown
// escaped when it comes from a file, so that no control character moves the cursor, clears
// the screen or splits a table row, and no name is longer than a table can hold.

/** The most characters a label may have (it is a name in a table column, not a description). */
export const LABEL_MAX_LENGTH = 200;

/**
 * C0 and C1 controls (newline, tab, ESC of terminal escape sequences, DEL), the Unicode line
 * and paragraph separators and the bidirectional overrides and isolates (which reorder what
 * a terminal shows after them).
 */
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/;
const CONTROL_GLOBAL = new RegExp(CONTROL.source, "g");

/** How a control character is shown: \n, \t, \r, else \u001b style. */
function escapeOne(ch: string): string {
  if (ch === "\n") return "\\n";
  if (ch === "\t") return "\\t";
  if (ch === "\r") return "\\r";
  return `\\u${ch.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/**
 * A `--label`-like flag's problem, as one line naming the flag and the fix; null when the value
 * is fine. Control characters and values longer than `LABEL_MAX_LENGTH` are refused.
 */
export function labelProblem(flag: string, value: string): string | null {
  const shown = value.length > 40 ? `${printable(value.slice(0, 40))}…` : printable(value);
  const found = CONTROL.exec(value);
  if (found) {
    return `--${flag} "${shown}" holds a control character (${escapeOne(found[0])} at position ${found.index + 1}); labels are one line of plain text: drop newlines, tabs and escape sequences.`;
  }
  if (value.length > LABEL_MAX_LENGTH) return `--${flag} is ${value.length} characters long, more than ${LABEL_MAX_LENGTH}; give a short name (the details belong in the results' notes or the file name).`;
  if (value.trim() === "") return `--${flag} is empty; give the run a name, or leave --${flag} out.`;
  return null;
}

/**
 * Text from a file made safe to print: control characters shown escaped (\n, \u001b), and cut
 * to `max` characters with "…" (in time linear in `max`, whatever the text's length).
 */
export function printable(text: string, max = Number.POSITIVE_INFINITY): string {
  const cut = text.length > max ? `${Array.from(text.slice(0, max + 1)).slice(0, max).join("")}…` : text;
  return cut.replace(CONTROL_GLOBAL, escapeOne);
}
