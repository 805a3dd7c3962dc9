// `Task.fewshot_context` of the reference harnesses, for the common case, as parts
// (`PromptParts`) and joined.

import { joinPromptParts, type PromptParts } from "../api/task.js";

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
 * follows the description directly. Targets carry no delimiter.
 */
export function stabilityPromptParts<Doc>(parts: ContextParts<Doc>, doc: Doc, shots: readonly Doc[]): PromptParts {
  return {
    description: parts.description,
    shots: shots.map((ex) => ({ text: parts.docToText(ex), target: parts.docToTarget(ex) })),
    fewshotDelimiter: parts.fewshotSeparator,
    targetDelimiter: "",
    text: parts.docToText(doc),
  };
}

export function stabilityFewshotContext<Doc>(parts: ContextParts<Doc>, doc: Doc, shots: readonly Doc[]): string {
  return joinPromptParts(stabilityPromptParts(parts, doc, shots));
}

/**
 * EleutherAI b281b09 `fewshot_context`: `description + "\n\n"` only when a
 * description is given, then the shots joined by "\n\n", then "\n\n" only when there
 * are shots. (With k = 0 the labeled part is "" and no separator is added.) `docToTarget`
 * returns the target after its delimiter (" " + answer), which `targetDelimiter` names.
 */
export function eleutherPromptParts<Doc>(
  parts: Omit<ContextParts<Doc>, "fewshotSeparator"> & { targetDelimiter: string },
  doc: Doc,
  shots: readonly Doc[],
): PromptParts {
  return {
    description: parts.description ? parts.description + "\n\n" : "",
    shots: shots.map((ex) => ({ text: parts.docToText(ex), target: parts.docToTarget(ex) })),
    fewshotDelimiter: "\n\n",
    targetDelimiter: parts.targetDelimiter,
    text: parts.docToText(doc),
  };
}

export function eleutherFewshotContext<Doc>(
  parts: Omit<ContextParts<Doc>, "fewshotSeparator"> & { targetDelimiter: string },
  doc: Doc,
  shots: readonly Doc[],
): string {
  return joinPromptParts(eleutherPromptParts(parts, doc, shots));
}
