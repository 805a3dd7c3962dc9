// The same multiple-choice questions in llama-perplexity's binary `--multiple-choice`
// format (llama.cpp tools/perplexity/perplexity.cpp, `multiple_choice_score`):
//   u32 n_task; u32 task_pos[n_task] (byte offset of each task from the start);
//   per task: string question; mc1 = { u32 n; string answers[n]; i32 labels[n] };
//   mc2 the same (not scored); string = u32 byte length + UTF-8 bytes.
// llama-perplexity scores `question + " " + answer`, tokenized with BOS. Our requests are
// context + continuation; a continuation that starts with a space maps exactly (the space
// is the separator), one that does not gets one extra space, so the texts can differ by
// that space: the token counts printed next to the timings say what each side evaluated.

export interface MultipleChoiceQuestion {
  context: string;
  continuations: string[];
  /** Index of the correct continuation (only stored: llama-perplexity's accuracy, not timed). */
  gold: number;
}

function stringBytes(text: string): Buffer {
  const bytes = Buffer.from(text, "utf8");
  const length = Buffer.alloc(4);
  length.writeUInt32LE(bytes.length);
  return Buffer.concat([length, bytes]);
}

function u32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeUInt32LE(value);
  return buffer;
}

/** The question and answer texts llama-perplexity is given for one of our questions. */
export function perplexityTexts(question: MultipleChoiceQuestion): { question: string; answers: string[] } {
  return { question: question.context, answers: question.continuations.map((continuation) => (continuation.startsWith(" ") ? continuation.slice(1) : continuation)) };
}

export function encodeMultipleChoice(questions: readonly MultipleChoiceQuestion[]): Buffer {
  const tasks = questions.map((item) => {
    const { question, answers } = perplexityTexts(item);
    const labels = Buffer.alloc(4 * answers.length);
    answers.forEach((_, k) => labels.writeInt32LE(k === item.gold ? 1 : 0, 4 * k));
    return Buffer.concat([stringBytes(question), u32(answers.length), ...answers.map(stringBytes), labels, u32(0)]);
  });
  const header = 4 + 4 * tasks.length;
  const positions: number[] = [];
  let offset = header;
  for (const task of tasks) {
    positions.push(offset);
    offset += task.length;
  }
  return Buffer.concat([u32(tasks.length), ...positions.map(u32), ...tasks]);
}

/**
 * Tokens llama-perplexity evaluates for these questions: per question, the prefix all its
 * answers share once and each answer's rest (its `required_tokens`).
 */
export function perplexityTokens(questions: readonly MultipleChoiceQuestion[], tokenizeWithBos: (text: string) => number[]): number {
  let total = 0;
  for (const item of questions) {
    const { question, answers } = perplexityTexts(item);
    const sequences = answers.map((answer) => tokenizeWithBos(`${question} ${answer}`));
    const shortest = Math.min(...sequences.map((tokens) => tokens.length));
    let common = 0;
    while (common < shortest && sequences.every((tokens) => tokens[common] === sequences[0]![common])) common++;
    total += common + sequences.reduce((sum, tokens) => sum + tokens.length - common, 0);
  }
  return total;
}
