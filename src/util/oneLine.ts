// An error as one line of text: the CLI's errors, warnings and reasons are single lines,
// whatever a driver, the engine or the file system put in the message (which is kept whole).

export function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ").trim();
}
