// `Task.fewshot_context` of the reference harnesses, for the common case.

export interface ContextParts<Doc> {
  description: string;
  fewshotSeparator: string;
  docToText: (doc: Doc) => string;
  docToTarget: (doc: Doc) => string;
}

/**
 * Stability-AI jp-stable `fewshot_context` with `description=""`: the task's
 * DESCRIPTION is used as is (it already ends in "\n\n"); with k > 0 the shots are
 * joined by FEWSHOT_SEP and followed by FEWSHOT_SEP; with k = 0 the doc's text
 * follows the description directly.
 */
export function stabilityFewshotContext<Doc>(parts: ContextParts<Doc>, doc: Doc, shots: readonly Doc[]): string {
  if (shots.length === 0) return parts.description + parts.docToText(doc);
  const labeled = shots.map((ex) => parts.docToText(ex) + parts.docToTarget(ex)).join(parts.fewshotSeparator);
  return parts.description + labeled + parts.fewshotSeparator + parts.docToText(doc);
}

/**
 * EleutherAI b281b09 `fewshot_context`: `description + "\n\n"` only when a
 * description is given, then the shots joined by "\n\n", then "\n\n" only when there
 * are shots. (With k = 0 the labeled part is "" and no separator is added.)
 */
export function eleutherFewshotContext<Doc>(
  parts: Omit<ContextParts<Doc>, "fewshotSeparator">,
  doc: Doc,
  shots: readonly Doc[],
): string {
  const description = parts.description ? parts.description + "\n\n" : "";
  const labeled =
    shots.length === 0 ? "" : shots.map((ex) => parts.docToText(ex) + parts.docToTarget(ex)).join("\n\n") + "\n\n";
  return description + labeled + parts.docToText(doc);
}
