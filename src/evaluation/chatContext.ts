// lm-evaluation-harness v0.4's `fewshot_context` with `apply_chat_template`,
// `fewshot_as_multiturn` and `system_instruction` (lm_eval/api/task.py, lm_eval/api/samplers.py
// `get_chat_context`), over a task's plain prompt parts. Tasks stay model-free: the renderer comes
// from the engine layer.

import type { ChatMessage, ChatSettings } from "../api/chat.js";
import type { PromptParts } from "../api/task.js";
import type { TaskRequest } from "../api/types.js";

/** `system_instruction` + `fewshot_delimiter` + description, or either alone, or "" (lm-eval's `system_prompt`). */
function systemPrompt(parts: PromptParts, systemInstruction: string | undefined): string {
  if (systemInstruction !== undefined && parts.description) return systemInstruction + parts.fewshotDelimiter + parts.description;
  if (systemInstruction !== undefined) return systemInstruction;
  return parts.description;
}

/** A target as lm-eval's multi-turn sampler writes it: `doc_to_target` without the target delimiter. */
function bareTarget(target: string, delimiter: string): string {
  return delimiter !== "" && target.startsWith(delimiter) ? target.slice(delimiter.length) : target;
}

/**
 * The chat history lm-eval v0.4 renders for one doc: the system turn (when there is a system
 * prompt), then the shots, either as one user turn holding the plain few-shot text (each shot
 * `text + target_delimiter + target + fewshot_delimiter`) to which the doc's text is appended, or
 * (`fewshot_as_multiturn`) as user/assistant pairs followed by the doc's text as the last user turn.
 */
export function chatMessages(parts: PromptParts, settings: Pick<ChatSettings, "fewshotAsMultiturn" | "systemInstruction">): ChatMessage[] {
  const messages: ChatMessage[] = [];
  const system = systemPrompt(parts, settings.systemInstruction);
  if (system) messages.push({ role: "system", content: system });
  if (parts.shots.length > 0) {
    if (settings.fewshotAsMultiturn) {
      for (const shot of parts.shots) {
        messages.push({ role: "user", content: shot.text });
        messages.push({ role: "assistant", content: bareTarget(shot.target, parts.targetDelimiter) });
      }
    } else {
      messages.push({ role: "user", content: parts.shots.map((s) => s.text + s.target + parts.fewshotDelimiter).join("") });
    }
  }
  // `append_target_question`: a new user turn after a system turn, an assistant turn or nothing;
  // otherwise the doc's text joins the one user turn of the shots.
  const last = messages.at(-1);
  if (!settings.fewshotAsMultiturn && last?.role === "user") last.content += parts.text;
  else messages.push({ role: "user", content: parts.text });
  return messages;
}

/** The plain context with `--system-instruction` and no template: lm-eval puts the system prompt first. */
export function plainContextWithInstruction(parts: PromptParts, systemInstruction: string): string {
  return systemPrompt(parts, systemInstruction) + parts.shots.map((s) => s.text + s.target + parts.fewshotDelimiter).join("") + parts.text;
}

/**
 * The task's requests with the context replaced: every request of a doc is built on the doc's
 * context, so its context is swapped for the new one. With a chat template, multiple-choice
 * continuations lose the target delimiter (`construct_requests`: `target_delimiter = ""` when
 * `apply_chat_template`).
 */
export function withContext(requests: TaskRequest[], plainContext: string, context: string, dropTargetDelimiter: string | undefined, task: string): TaskRequest[] {
  return requests.map((r) => {
    if (r.context !== plainContext) throw new Error(`${task}: a request is not built on the doc's context, so a chat template or system instruction cannot be applied to it`);
    if (r.type === "loglikelihood" && dropTargetDelimiter !== undefined) {
      return { ...r, context, continuation: bareTarget(r.continuation, dropTargetDelimiter) };
    }
    return { ...r, context };
  });
}
