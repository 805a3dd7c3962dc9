// `--apply-chat-template [NAME]`, `--fewshot-as-multiturn`, `--system-instruction`: checked and
// resolved before any work (the template is read from the model's vocabulary, no weights loaded).

import type { ChatSettings } from "../api/chat.js";
import { loadTokenizer } from "../backend/llama/index.js";
import { UserError } from "../util/errors.js";

export interface ChatFlags {
  /** lm-eval's `--apply_chat_template [NAME]`: true for the model's template; a string names one of its templates or a Jinja file. */
  applyChatTemplate?: boolean | string;
  fewshotAsMultiturn?: boolean;
  systemInstruction?: string;
}

/** Problems with the chat flags alone (lm-eval refuses multi-turn shots without a template). */
export function chatFlagProblems(flags: ChatFlags): UserError[] {
  if (flags.fewshotAsMultiturn && !flags.applyChatTemplate) {
    return [new UserError("usage", "--fewshot-as-multiturn needs --apply-chat-template (the shots become chat turns); add it, or drop --fewshot-as-multiturn.")];
  }
  return [];
}

/** The evaluator's chat settings, or undefined for the paper's plain prompts. Throws `UserError`. */
export async function resolveChatSettings(flags: ChatFlags, modelPath: string): Promise<ChatSettings | undefined> {
  const problems = chatFlagProblems(flags);
  if (problems.length > 0) throw problems[0]!;
  const settings: ChatSettings = {
    ...(flags.fewshotAsMultiturn ? { fewshotAsMultiturn: true } : {}),
    ...(flags.systemInstruction !== undefined ? { systemInstruction: flags.systemInstruction } : {}),
  };
  if (flags.applyChatTemplate) {
    const tokenizer = await loadTokenizer(modelPath);
    try {
      settings.renderer = tokenizer.chatRenderer(typeof flags.applyChatTemplate === "string" ? flags.applyChatTemplate : undefined);
    } finally {
      await tokenizer.dispose();
    }
  }
  return settings.renderer || settings.systemInstruction !== undefined ? settings : undefined;
}
