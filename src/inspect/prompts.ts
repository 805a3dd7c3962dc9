import { resolveMaxTokens } from "../evaluation/evaluator.js";
import { planTask } from "../evaluation/taskPlan.js";
import { findTask, MMLU_GROUP } from "../tasks/registry.js";
import type { TokenizerHandle } from "../backend/tokenizers/load.js";
import { openTokenizer } from "../run/tokenizerChoice.js";
import { UserError } from "../util/errors.js";
import { resolveChatSettings, type ChatFlags } from "../run/chatSetup.js";

export interface PromptRecord {
  task: string;
  doc_id: number;
  type: "loglikelihood" | "generate";
  context: string;
  continuation?: string;
  until?: (string | { eos_token: true })[];
  max_tokens?: number | null;
}

export interface PromptOptions extends ChatFlags {
  task: string;
  shots?: number;
  limit?: number;
  dataDir: string;
  model?: string;
  /** The model's own Hugging Face tokenizer: resolves caps and EOS instead of the GGUF's vocabulary. */
  hfTokenizer?: string;
  allowDatasetMismatch?: boolean;
}

/** The requests of one task in evaluation order, as `rakuten-eval prompts` prints them. */
export async function* promptRecords(options: PromptOptions): AsyncGenerator<PromptRecord> {
  if (options.task === MMLU_GROUP) throw new UserError("usage", "`prompts` takes one task; use a subject such as hendrycksTest-anatomy.");
  const task = findTask(options.task);
  if ((options.applyChatTemplate || options.fewshotAsMultiturn) && !options.model) {
    throw new UserError("usage", "--apply-chat-template needs --model: the template is the model's (tokenizer.chat_template).");
  }
  const chat = await resolveChatSettings(options, options.model ?? "");
  // The vocabulary alone resolves caps and EOS: no weights, no context, no file hash.
  const tokenizer: TokenizerHandle | undefined =
    options.model !== undefined || options.hfTokenizer !== undefined ? await openTokenizer({ model: options.model, hfTokenizer: options.hfTokenizer }, "prompts") : undefined;
  try {
    const plan = await planTask(
      { task, shots: options.shots ?? task.defaultShots },
      {
        dataDir: options.dataDir,
        ...(options.limit !== undefined ? { limit: options.limit } : {}),
        ...(options.allowDatasetMismatch ? { allowDatasetMismatch: true } : {}),
        ...(chat ? { chat } : {}),
      },
    );
    for (const d of plan.docs) {
      for (const r of d.requests) {
        if (r.type === "loglikelihood") {
          yield { task: task.name, doc_id: d.docId, type: r.type, context: r.context, continuation: r.continuation };
        } else {
          yield {
            task: task.name,
            doc_id: d.docId,
            type: r.type,
            context: r.context,
            until: r.until.map((u) => (typeof u === "string" ? u : tokenizer ? tokenizer.eosText() : { eos_token: true as const })),
            max_tokens: r.maxTokens.kind === "fixed" ? r.maxTokens.tokens : tokenizer ? resolveMaxTokens(r.maxTokens, tokenizer) : null,
          };
        }
      }
    }
  } finally {
    await tokenizer?.dispose();
  }
}
