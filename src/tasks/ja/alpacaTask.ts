// The task factories of the prompt-version-0.3 tasks of the Stability-AI jp-stable harness
// (`*WithJAAlpacaPrompt`). Those tasks differ only in their data, the instruction and input of the
// ja-alpaca frame, the answer set or generation settings, and how an answer is scored; the suite,
// the prompt version, the few-shot framing, record reading and the request/response plumbing are
// the same for all of them, so they live here once.
//
// Two families:
// - `jaAlpacaChoiceTask`: `MultipleChoiceTask` subclasses (JCommonsenseQA, JNLI, MARC-ja). One
//   loglikelihood request per choice, `"{}".format(choice)` with no leading space (the JP tasks
//   override the English " " + choice), acc and acc_norm.
// - `jaAlpacaGenerationTask`: `greedy_until` tasks (JSQuAD, JAQKET v2, XL-Sum, MGSM). One generate
//   request; the task scores the single generation.

import type { DataFileRef, FewshotRule, MetricSpec, Task } from "../../api/task.js";
import type { MaxTokensRule, ScoringTools, StopSequence, TaskRequest, TaskResponse } from "../../api/types.js";
import { jaAlpacaContext, jaAlpacaPromptParts, jaAlpacaText } from "./alpacaFrame.js";
import { ACC_METRIC, RecordReader, generationResponse, loglikelihood, loglikelihoodResponses, multipleChoiceScores, sourceName } from "./common.js";

/** `doc_to_text`, declared as the two slots of the ja-alpaca frame. */
export interface AlpacaPrompt<Doc> {
  /** The `### 指示:` text; a function where the reference builds it per doc (JCommonsenseQA lists the choices). */
  instruction: string | ((doc: Doc) => string);
  /** The `### 入力:` text. */
  input: (doc: Doc) => string;
  /** The frame around the two; `jaAlpacaText` unless the reference's template deviates (MGSM at 0fa86429). */
  frame?: (instruction: string, input: string) => string;
}

/** What every 0.3 task declares. */
export interface AlpacaTaskSpec<Doc> {
  /** Reference registry name, e.g. `jsquad-1.1-0.3`. */
  name: string;
  aliases: string[];
  /** Task `VERSION`; the prompt version is 0.3 for every task built here. */
  version: string;
  defaultShots: number;
  evalData: DataFileRef;
  fewshotData: DataFileRef;
  fewshotSource: string;
  /**
   * Stratify the shots by this label (jp-stable HEAD's `_stratified_fewshot_examples`, JNLI 1.3);
   * without it shots are `rnd.sample` of the few-shot split.
   */
  stratifyBy?: (doc: Doc) => number;
  /** One doc from one record. `split` tells few-shot records (MGSM's carry a chain of thought) from eval ones. */
  parseRecord(r: RecordReader, split: "eval" | "fewshot"): Doc;
  prompt: AlpacaPrompt<Doc>;
}

/** A multiple-choice 0.3 task: the answers are scored as continuations and `doc.gold` indexes them. */
export interface AlpacaChoiceSpec<Doc extends { gold: number }> extends AlpacaTaskSpec<Doc> {
  /** The answer strings, fixed for the task (JNLI, MARC-ja) or per doc (JCommonsenseQA); `doc_to_target` is the gold one. */
  choices: readonly string[] | ((doc: Doc) => readonly string[]);
  /** The doc's id for the samples file, written before gold, target and choices. */
  describeId(doc: Doc): Record<string, unknown>;
}

/** A generation 0.3 task: one `greedy_until` request, scored by the task. */
export interface AlpacaGenerationSpec<Doc> extends AlpacaTaskSpec<Doc> {
  primaryMetric: string;
  metrics: Record<string, MetricSpec>;
  /** `doc_to_target`: the text after a shot's frame. */
  docToTarget(doc: Doc): string;
  /** `greedy_until(ctx, until, max_gen_toks)`: stop sequences and the cap (a rule where it needs the model's tokenizer). */
  generate: { until: StopSequence[]; maxTokens(doc: Doc): MaxTokensRule };
  /** `process_results` of the one generation. */
  score(doc: Doc, prediction: string, tools: ScoringTools): Record<string, number>;
  describeDoc(doc: Doc): Record<string, unknown>;
  /** The answer `score` extracts from the generation, for the samples file (lm-eval's `filtered_resps`). */
  extractAnswer?(prediction: string): string;
}

/** The parts the two families fill in differently. */
interface AlpacaTaskParts<Doc> {
  primaryMetric: string;
  metrics: Record<string, MetricSpec>;
  docToTarget(doc: Doc): string;
  constructRequests(doc: Doc, context: string): TaskRequest[];
  processResults(doc: Doc, responses: TaskResponse[], tools: ScoringTools): Record<string, number>;
  describeDoc(doc: Doc): Record<string, unknown>;
  extractedAnswers?(responses: TaskResponse[]): string[];
}

function promptText<Doc>(prompt: AlpacaPrompt<Doc>): (doc: Doc) => string {
  const frame = prompt.frame ?? jaAlpacaText;
  const { instruction, input } = prompt;
  return (doc) => frame(typeof instruction === "string" ? instruction : instruction(doc), input(doc));
}

function alpacaTask<Doc>(spec: AlpacaTaskSpec<Doc>, parts: AlpacaTaskParts<Doc>): Task<Doc> {
  const { name, evalData, fewshotData, stratifyBy } = spec;
  const docToText = promptText(spec.prompt);
  const fewshot: FewshotRule = stratifyBy ? { kind: "stratified" } : { kind: "random" };
  return {
    name,
    aliases: spec.aliases,
    suite: "ja",
    version: spec.version,
    promptVersion: "0.3",
    primaryMetric: parts.primaryMetric,
    metrics: parts.metrics,
    defaultShots: spec.defaultShots,
    fewshot,
    evalData,
    fewshotData,
    fewshotSource: spec.fewshotSource,

    parseDocs(split, records) {
      const source = sourceName(split === "eval" ? evalData : fewshotData, name, split);
      return records.map((value, i) => spec.parseRecord(new RecordReader(value, source, i), split));
    },

    // Only stratified tasks have a label: `fewshotLabel` stays absent otherwise.
    ...(stratifyBy ? { fewshotLabel: stratifyBy } : {}),

    fewshotContext(doc, shots) {
      return jaAlpacaContext(doc, shots, docToText, parts.docToTarget);
    },

    promptParts(doc, shots) {
      return jaAlpacaPromptParts(doc, shots, docToText, parts.docToTarget);
    },

    constructRequests: parts.constructRequests,
    processResults: parts.processResults,
    describeDoc: parts.describeDoc,
    ...(parts.extractedAnswers ? { extractedAnswers: parts.extractedAnswers } : {}),
  };
}

/** `MultipleChoiceTask` of jp-stable with the 0.3 frame (JCommonsenseQA, JNLI, MARC-ja). */
export function jaAlpacaChoiceTask<Doc extends { gold: number }>(spec: AlpacaChoiceSpec<Doc>): Task<Doc> {
  const { name, choices } = spec;
  const choicesOf = typeof choices === "function" ? choices : () => choices;
  return alpacaTask(spec, {
    primaryMetric: "acc",
    metrics: { acc: ACC_METRIC, acc_norm: ACC_METRIC },
    docToTarget: (doc) => choicesOf(doc)[doc.gold]!,
    // `"{}".format(choice)`: no leading space, and context and continuation are encoded separately.
    constructRequests: (doc, context) => choicesOf(doc).map((choice) => loglikelihood(context, choice)),
    processResults(doc, responses) {
      const docChoices = choicesOf(doc);
      const lls = loglikelihoodResponses(name, responses, docChoices.length).map((r) => r.logprob);
      return multipleChoiceScores(lls, docChoices, doc.gold);
    },
    describeDoc(doc) {
      const docChoices = choicesOf(doc);
      return { ...spec.describeId(doc), gold: doc.gold, target: docChoices[doc.gold], choices: [...docChoices] };
    },
  });
}

/** A `greedy_until` task of jp-stable with the 0.3 frame (JSQuAD, JAQKET v2, XL-Sum, MGSM). */
export function jaAlpacaGenerationTask<Doc>(spec: AlpacaGenerationSpec<Doc>): Task<Doc> {
  const { name, generate } = spec;
  return alpacaTask(spec, {
    primaryMetric: spec.primaryMetric,
    metrics: spec.metrics,
    docToTarget: spec.docToTarget,
    // A fresh stop list per request: requests are plain data that later stages may hold on to.
    constructRequests: (doc, context) => [{ type: "generate", context, until: [...generate.until], maxTokens: generate.maxTokens(doc) }],
    processResults: (doc, responses, tools) => spec.score(doc, generationResponse(name, responses), tools),
    describeDoc: spec.describeDoc,
    ...(spec.extractAnswer ? { extractedAnswers: (responses: TaskResponse[]) => [spec.extractAnswer!(generationResponse(name, responses))] } : {}),
  });
}
