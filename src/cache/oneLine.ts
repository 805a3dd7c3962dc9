// An error as one line of text: the cache's warnings and reasons are single lines,
// whatever a driver or the file system put in the message.

export function oneLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).replace(/\s+/g, " ").trim();
}
