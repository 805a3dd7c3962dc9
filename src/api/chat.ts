// Chat templates as lm-evaluation-harness v0.4 applies them (`--apply_chat_template`,
// `--fewshot_as_multiturn`, `--system_instruction`). The evaluator turns a task's prompt parts
// into messages (src/evaluation/chatContext.ts); a backend-side renderer turns messages into the prompt text
// (src/backend/llama/chatTemplate.ts renders a GGUF's Jinja template with node-llama-cpp).

export type ChatRole = "system" | "user" | "assistant";

export interface ChatMessage {
  role: ChatRole;
  content: string;
}

/** A model's chat template, as lm-eval's `lm.apply_chat_template(chat_history)`. */
export interface ChatRenderer {
  /** Where the template came from (`tokenizer.chat_template`, `tokenizer.chat_template.NAME`, a file). */
  readonly source: string;
  /** The Jinja source: what lm-eval records as `chat_template`. */
  readonly template: string;
  /**
   * The prompt text, rendered with `add_generation_prompt=True` (lm-eval's default: none of our
   * tasks has a `gen_prefix`). Special tokens appear as their text (`<s>`, `<|im_start|>`), which
   * the tokenizer parses back into special tokens, as HF's tokenizer does with the rendered string.
   */
  render(messages: readonly ChatMessage[]): string;
}

/** What `run`/`prompts` pass to the evaluator; every field absent: the paper's plain prompts. */
export interface ChatSettings {
  /** Render every context with this template (`--apply-chat-template`). */
  renderer?: ChatRenderer;
  /** Shots as alternating user/assistant turns instead of one user turn (needs a renderer). */
  fewshotAsMultiturn?: boolean;
  /** Put first as the system turn (with a template) or before the context (without). */
  systemInstruction?: string;
}
