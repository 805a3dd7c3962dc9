// A GGUF model's chat template, rendered by node-llama-cpp's JinjaTemplateChatWrapper the way
// lm-evaluation-harness v0.4's `HFLM.apply_chat_template` renders with transformers:
// `add_generation_prompt=True`, message contents verbatim, and on a template error the system
// turn is removed and the template tried again.

import { oneLine } from "../../util/oneLine.js";
import { existsSync, readFileSync, statSync } from "node:fs";
import { JinjaTemplateChatWrapper, SpecialToken, SpecialTokensText, type ChatHistoryItem, type LlamaModel } from "node-llama-cpp";
import type { ChatMessage, ChatRenderer } from "../../api/chat.js";
import { UserError } from "../../util/errors.js";

const TEMPLATE_KEY = "tokenizer.chat_template";

/** The template text: the GGUF's own, a named one of the GGUF (`tokenizer.chat_template.NAME`), or a Jinja file. */
function findTemplate(model: LlamaModel, modelPath: string, name: string | undefined): { source: string; template: string } {
  const tokenizer = (model.fileInfo.metadata as { tokenizer?: Record<string, unknown> }).tokenizer ?? {};
  if (name === undefined) {
    const template = tokenizer["chat_template"];
    if (typeof template === "string" && template !== "") return { source: TEMPLATE_KEY, template };
    throw new UserError("model", `Model ${modelPath} has no chat template (no ${TEMPLATE_KEY} in its GGUF metadata); run without --apply-chat-template, or pass a Jinja file with --chat-template FILE.`);
  }
  const named = tokenizer[`chat_template.${name}`];
  if (typeof named === "string" && named !== "") return { source: `${TEMPLATE_KEY}.${name}`, template: named };
  if (existsSync(name) && statSync(name).isFile()) return { source: name, template: readFileSync(name, "utf8") };
  throw new UserError("usage", `--chat-template ${name}: model ${modelPath} has no ${TEMPLATE_KEY}.${name} and no file ${name} exists; name one of the model's templates or a Jinja file.`);
}

/**
 * The renderer of a loaded model (weights or vocabulary only). Throws `UserError` (exit 2) when the
 * model has no such template or the template does not render a plain user turn.
 */
export function createChatRenderer(model: LlamaModel, modelPath: string, name?: string): ChatRenderer {
  const { source, template } = findTemplate(model, modelPath, name);
  let wrapper: JinjaTemplateChatWrapper;
  try {
    wrapper = new JinjaTemplateChatWrapper({
      template,
      // HF passes the contents as they are, no `enable_thinking`, and fails on an unsupported system role.
      convertUnsupportedSystemMessagesToUserMessages: false,
      trimLeadingWhitespaceInResponses: false,
      reasoning: null,
      functionCallMessageTemplate: "noJinja",
    });
  } catch (error) {
    throw new UserError("model", `The chat template ${source} of ${modelPath} cannot be used (${oneLine(error)}); pass another with --chat-template FILE.`);
  }
  // Read now: the renderer outlives a vocabulary-only model loaded just to plan the prompts.
  const specials: Record<string, string | null> = { BOS: model.tokens.bosString, EOS: model.tokens.eosString, EOT: model.tokens.eotString, NL: "\n", SEP: null };
  const specialText = (token: SpecialToken): string => {
    const text = specials[token.value] ?? null;
    if (text === null) throw new Error(`the chat template writes the ${token.value} token, which model ${modelPath} does not have`);
    return text;
  };
  const renderOnce = (messages: readonly ChatMessage[]): string => {
    const history: ChatHistoryItem[] = messages.map((m) =>
      m.role === "system" ? { type: "system", text: m.content } : m.role === "user" ? { type: "user", text: m.content } : { type: "model", response: [m.content] },
    );
    // node-llama-cpp's generation prompt: an empty model turn, the render cut where its text would start.
    history.push({ type: "model", response: [] });
    const { contextText } = wrapper.generateContextState({ chatHistory: history });
    return contextText.values
      .map((v) => (typeof v === "string" ? v : v instanceof SpecialTokensText ? v.value : specialText(v as SpecialToken)))
      .join("");
  };
  return {
    source,
    template,
    render(messages) {
      try {
        return renderOnce(messages);
      } catch (error) {
        // lm-eval: "Failed to apply chat template. removing the system role in chat history."
        if (!messages.some((m) => m.role === "system")) throw new Error(`chat template ${source}: ${oneLine(error)}`);
        return renderOnce(messages.filter((m) => m.role !== "system"));
      }
    },
  };
}
