// The "ja-alpaca" frame shared by every prompt-version-0.3 task of the Stability-AI
// jp-stable harness (`*WithJAAlpacaPrompt` classes at 0fa86429).

import type { PromptParts } from "../../api/task.js";
import { stabilityFewshotContext, stabilityPromptParts } from "../fewshotContext.js";

/** `DESCRIPTION` of every 0.3 task; it already ends in "\n\n", and `fewshot_context` uses it as is. */
export const JA_ALPACA_DESCRIPTION =
  "以下は、タスクを説明する指示と、文脈のある入力の組み合わせです。要求を適切に満たす応答を書きなさい。\n\n";

/**
 * FEWSHOT_SEP of every 0.3 task used here: none defines FEWSHOT_SEP, and those that define
 * SEP define it as "\n", so `fewshot_context` falls to `SEP + SEP` or its "\n\n" default.
 */
export const JA_FEWSHOT_SEPARATOR = "\n\n";

/**
 * `doc_to_text` of the 0.3 frame. The headers use an ASCII colon with no trailing space
 * (the docstrings and docs/prompt_templates.md show a trailing space; the code has none).
 */
export function jaAlpacaText(instruction: string, input: string): string {
  return `### 指示:\n${instruction}\n\n### 入力:\n${input}\n\n### 応答:\n`;
}

/** `fewshot_context(doc, k, rnd, description="")` for a 0.3 task whose shots are already picked. */
export function jaAlpacaContext<Doc>(
  doc: Doc,
  shots: readonly Doc[],
  docToText: (doc: Doc) => string,
  docToTarget: (doc: Doc) => string,
): string {
  return stabilityFewshotContext(
    { description: JA_ALPACA_DESCRIPTION, fewshotSeparator: JA_FEWSHOT_SEPARATOR, docToText, docToTarget },
    doc,
    shots,
  );
}

/** The parts `jaAlpacaContext` joins (`stabilityPromptParts` with the 0.3 frame). */
export function jaAlpacaPromptParts<Doc>(
  doc: Doc,
  shots: readonly Doc[],
  docToText: (doc: Doc) => string,
  docToTarget: (doc: Doc) => string,
): PromptParts {
  return stabilityPromptParts(
    { description: JA_ALPACA_DESCRIPTION, fewshotSeparator: JA_FEWSHOT_SEPARATOR, docToText, docToTarget },
    doc,
    shots,
  );
}
