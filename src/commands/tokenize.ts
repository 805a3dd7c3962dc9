import { createInterface } from "node:readline";
import { Flags } from "@oclif/core";
import { BaseCommand } from "./baseCommand.js";
import { connectServerTokenizer } from "../backend/remote/index.js";
import { UserError } from "../util/errors.js";
import { openTokenizer, textOfLine, tokenizeLine } from "../run/tokenizerChoice.js";

export default class Tokenize extends BaseCommand {
  static override summary = "Print the token ids of text on stdin, one JSON array per line, as run makes them.";
  static override description =
    "Each line of stdin is one text (with --json, one JSON string, so texts may hold newlines); each output line is the JSON array of its token ids, encoded as HF `tokenizer.encode(text, add_special_tokens=False)`: no BOS, special-token text (\"</s>\") parsed into its id. The tokenizer is the one run uses with the same flags: --hf-tokenizer (the model's own) if given, else the GGUF's vocabulary through llama.cpp (--model). A way to debug a tokenizer; see also `rakuten-eval tokenizer-check`.";
  static override examples = [
    "echo 'Question:' | <%= config.bin %> tokenize --base-url http://vllm:8000/v1 --served-model rakuten-7b",
    "echo 'Question: 日本の首都は？' | <%= config.bin %> tokenize --model model.gguf",
    "printf '%s\\n' '\"質問:\\\\n答え:\"' | <%= config.bin %> tokenize --hf-tokenizer ./llm-jp-tokenizer --json",
  ];
  static override flags = {
    model: Flags.string({ char: "m", description: "GGUF model (or vocabulary-only GGUF): llama.cpp's reading of its vocabulary." }),
    "hf-tokenizer": Flags.string({ description: "The model's own Hugging Face tokenizer: a folder with tokenizer.json (and tokenizer_config.json) or tokenizer.model, or one of those files." }),
    tokenizer: Flags.string({ description: "A tokenizer file of either kind (GGUF, vocabulary-only GGUF, tokenizer.json or tokenizer.model)." }),
    json: Flags.boolean({ description: "Each input line is a JSON string (texts with newlines).", default: false }),
    "base-url": Flags.string({ description: "An inference server's API root (vLLM): its own /tokenize makes the ids, as `run --backend openai` without --tokenizer." }),
    "served-model": Flags.string({ description: "With --base-url: the model name the server serves." }),
    "api-key-env": Flags.string({ description: "With --base-url: the environment variable holding the server's API key." }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Tokenize);
    if (flags["base-url"] !== undefined) {
      const keyVariable = flags["api-key-env"];
      const apiKey = keyVariable !== undefined ? process.env[keyVariable] : undefined;
      if (keyVariable !== undefined && !apiKey) throw new UserError("usage", `--api-key-env ${keyVariable}: that environment variable is not set or empty; export the server's API key in it.`);
      // The server's ids are fetched for every line first (one call per distinct text), then printed in order.
      const server = await connectServerTokenizer({ baseUrls: [flags["base-url"]], servedModel: flags["served-model"] ?? "", ...(apiKey ? { apiKey } : {}) });
      const lines: string[] = [];
      for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) lines.push(line);
      const texts = lines.map((line, i) => (flags.json ? textOfLine(line, i + 1) : line));
      await server.prefetch(texts);
      for (const text of texts) process.stdout.write(`${JSON.stringify(server.tokenize(text))}\n`);
      return;
    }
    const tokenizer = await openTokenizer({ model: flags.model, hfTokenizer: flags["hf-tokenizer"], tokenizer: flags.tokenizer }, "tokenize");
    try {
      let lineNumber = 0;
      for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
        lineNumber++;
        process.stdout.write(`${JSON.stringify(tokenizeLine(line, flags.json, tokenizer, lineNumber))}\n`);
      }
    } finally {
      await tokenizer.dispose();
    }
  }
}
