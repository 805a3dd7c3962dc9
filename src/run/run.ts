// `rakuten-eval run` as a library function: a short sequence of named phases, each in its own
// module: check the input, plan the shard, open the engine, prepare tokens, check the context,
// evaluate (keeping what finished on a stop), build the results document, publish, finish.

import { writeRunOutputs } from "./runOutput.js";
import { ggufAgreementRecord } from "./tokenizerCheck.js";
import type { RunOptions, RunOutcome } from "./runOptions.js";
import { announcePlan, checkFormatSelected, checkInput, clearStaleOutput, planShard } from "./runStart.js";
import { cacheInFront, closeEngine, openBackend, openCache, prepareTokens } from "./runEngine.js";
import { checkContext } from "./runContext.js";
import { evaluateWithSalvage } from "./runEvaluate.js";
import { buildRunDocument } from "./runDocument.js";
import { finishRun } from "./runFinish.js";

export type { RunOptions, RunOutcome } from "./runOptions.js";

export async function runEvaluation(options: RunOptions): Promise<RunOutcome> {
  const started = Date.now();
  const log = options.log ?? (() => {});
  const warn = options.warn ?? log;
  const { output, outputDir, input } = await checkInput(options);
  const { planned, shardRecord } = planShard(input.planned, options.shard);
  checkFormatSelected(planned, options.format);
  announcePlan(input.skipped, planned, log, warn);
  clearStaleOutput(outputDir, options.signal);

  const engine = openCache(options, warn);
  try {
    const inner = await openBackend(engine, options, input.ownTokenizer, log, warn);
    // The model's own tokenizer beside a GGUF: how often llama.cpp's reading of the GGUF would have agreed.
    const tokenizerAgreement = input.ownTokenizer && !options.backend ? await ggufAgreementRecord(planned, options.model, input.ownTokenizer) : undefined;
    const backend = cacheInFront(inner, engine, options.signal, log);
    await prepareTokens(backend, planned, options.signal, log);
    checkContext(backend, planned, options, log);
    const evaluation = await evaluateWithSalvage(planned, input.skipped, backend, engine, options, log);
    const doc = buildRunDocument(evaluation, { backend, started, wholePlan: input.planned, shardRecord, tokenizerAgreement, chat: input.chat }, options);
    const written = await writeRunOutputs(output, doc, evaluation.taskResults, options.format);
    return finishRun({ doc, written, evaluation, backend, engine, tokenizerAgreement, started }, options, log, warn);
  } finally {
    await closeEngine(engine, options);
  }
}
