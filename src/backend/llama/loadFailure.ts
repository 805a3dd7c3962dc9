// A model llama.cpp cannot load, told in one line, and loaded once. llama.cpp gives the cause
// only in its log ("error loading model: unknown model architecture: 'x'"), and node-llama-cpp's
// error says just "Failed to load model". node-llama-cpp also runs llama.cpp's loader once
// without allocating (to estimate the memory) before the real load, so each cause used to be
// printed twice among 4–8 lines. While a load runs, llama.cpp's error lines are collected
// instead of printed; when the dry run fails in llama.cpp's loader (node-llama-cpp says so in a
// warning, before the real load starts) the load is stopped there: the real load, which reads
// the same file with the same loader, is never tried. The cause then becomes the message, with
// the fix that cause calls for.

import { LlamaLogLevel, type Llama } from "node-llama-cpp";
import { UserError } from "../../util/errors.js";
import { oneLine } from "../../util/oneLine.js";

/** llama.cpp's lines that only say that a load failed, not why. */
const GENERIC = /failed to (load model|read header)|llama_model_loader: failed to load model from/i;

/** The cause in llama.cpp's error lines of a failed load, without the function names; null when none names one. */
export function causeOf(lines: readonly string[]): string | null {
  for (const raw of lines) {
    const line = oneLine(raw);
    if (line === "" || GENERIC.test(line)) continue;
    const cause = line.replace(/^.*?error loading model:\s*/, "").replace(/^[a-z_][a-z0-9_]*:\s+/i, "");
    if (cause !== "") return cause;
  }
  return null;
}

/** What to do about a cause llama.cpp gave. */
function fixFor(cause: string): string {
  if (/unknown (model )?architecture|not supported|unsupported|only supports up to version/i.test(cause)) {
    return "This llama.cpp cannot read this model: use a model of an architecture and GGUF version it supports, or a rakuten-eval built on a newer node-llama-cpp.";
  }
  if (/memory|alloc|mmap|mlock/i.test(cause)) return "Free memory, or use a smaller quantisation of the model.";
  return "The file's metadata does not match its tensors (converted or edited wrongly, or damaged): download it again, or convert it again with llama.cpp's convert_hf_to_gguf.py.";
}

/** node-llama-cpp's warning that its dry run (no allocation) failed in llama.cpp's loader itself. */
const DRY_RUN_FAILED = /Failed simulating model resource usage.*Error: Failed to load model/;

/** How long to wait for llama.cpp's log of a failed load (it arrives after the failure itself). */
const LOG_WAIT_MS = 2000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Runs `load` (a model load given an abort signal) with llama.cpp's error lines collected; a
 * failure is one `UserError("model")` naming the file, llama.cpp's cause and the fix. A load
 * that succeeds prints the error lines it collected (none, normally), as before.
 */
export async function loadOnce<T>(llama: Llama, modelPath: string, load: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const previous = { logger: llama.logger, level: llama.logLevel };
  const lines: string[] = [];
  const stop = new AbortController();
  // Warnings are let through to the logger for the load, to see the dry run's; they are not printed.
  if (previous.level === LlamaLogLevel.error || previous.level === LlamaLogLevel.fatal || previous.level === LlamaLogLevel.disabled) llama.logLevel = LlamaLogLevel.warn;
  llama.logger = (level, message) => {
    if (level === LlamaLogLevel.error || level === LlamaLogLevel.fatal) lines.push(message);
    else if (level === LlamaLogLevel.warn && DRY_RUN_FAILED.test(oneLine(message)) && !stop.signal.aborted) stop.abort(new Error("llama.cpp could not load the model"));
  };
  let failure: { error: unknown } | undefined;
  try {
    return await load(stop.signal);
  } catch (error) {
    failure = { error };
    // The loader's own lines come through the log after the failure: wait for the cause.
    for (let waited = 0; causeOf(lines) === null && waited < LOG_WAIT_MS; waited += 10) await sleep(10);
    const cause = causeOf(lines);
    const release = `llama.cpp ${llama.llamaCppRelease.release}`;
    if (cause === null) {
      throw new UserError("model", `Cannot load model ${modelPath} (${oneLine(error)}; ${release}). Check that llama.cpp supports this model and that there is enough memory.`);
    }
    throw new UserError("model", `Cannot load model ${modelPath}: ${cause} (${release}). ${fixFor(cause)}`);
  } finally {
    llama.logger = previous.logger;
    llama.logLevel = previous.level;
    if (failure === undefined) for (const line of lines) previous.logger(LlamaLogLevel.error, line);
  }
}
