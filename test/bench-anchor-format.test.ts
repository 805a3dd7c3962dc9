// The anchor's llama-perplexity input (bench/anchor/multipleChoiceFile.ts), read back with a
// decoder written here from llama.cpp's tools/perplexity/perplexity.cpp
// (`multiple_choice_score`, `multiple_choice_task::deserialize`), on real JCommonsenseQA
// requests; and the CPU guard's arithmetic.

import { test } from "node:test";
import assert from "node:assert/strict";
import os from "node:os";
import path from "node:path";
import { encodeMultipleChoice, perplexityTokens, type MultipleChoiceQuestion } from "../bench/anchor/multipleChoiceFile.js";
import { otherCpuUse } from "../bench/anchor/cpuGuard.js";
import { batchedBenchArgs, medianRows, parseBatchedBench, PARALLEL_SEQUENCES } from "../bench/anchor/generationCeiling.js";
import { planTask } from "../src/evaluation/taskPlan.js";
import { findTask } from "../src/tasks/registry.js";
import { sharedSkip } from "./support/sharedData.js";

/** perplexity.cpp's reader: u32 n_task, u32 task_pos[n], then per task question, mc1, mc2. */
function decode(buffer: Buffer): { positions: number[]; tasks: { question: string; answers: string[]; labels: number[]; mc2: number }[] } {
  let offset = 0;
  const u32 = (): number => {
    const value = buffer.readUInt32LE(offset);
    offset += 4;
    return value;
  };
  const string = (): string => {
    const size = u32();
    const text = buffer.subarray(offset, offset + size).toString("utf8");
    offset += size;
    return text;
  };
  const count = u32();
  const positions = Array.from({ length: count }, u32);
  const tasks = [];
  for (let k = 0; k < count; k++) {
    assert.equal(offset, positions[k], `task ${k} starts at its recorded position`);
    const question = string();
    const n = u32();
    const answers = Array.from({ length: n }, string);
    const labels = Array.from({ length: n }, () => {
      const label = buffer.readInt32LE(offset);
      offset += 4;
      return label;
    });
    const mc2 = u32();
    tasks.push({ question, answers, labels, mc2 });
  }
  assert.equal(offset, buffer.length, "nothing after the last task");
  return { positions, tasks };
}

const dataDir = path.resolve(process.cwd(), "../shared/datasets");
const skip = sharedSkip(path.join(dataDir, "jcommonsenseqa"));

test("JCommonsenseQA questions round-trip through llama-perplexity's multiple-choice format", { skip }, async () => {
  const plan = await planTask({ task: findTask("jcommonsenseqa-1.1-0.3"), shots: 3 }, { dataDir, limit: 4 });
  const questions: MultipleChoiceQuestion[] = plan.docs.map((doc) => {
    const requests = doc.requests.filter((request) => request.type === "loglikelihood");
    return { context: requests[0]!.context, continuations: requests.map((request) => request.continuation), gold: 1 };
  });
  const decoded = decode(encodeMultipleChoice(questions));
  assert.equal(decoded.tasks.length, 4);
  decoded.tasks.forEach((task, k) => {
    const question = questions[k]!;
    assert.equal(task.question, question.context);
    assert.equal(task.answers.length, question.continuations.length);
    // llama-perplexity scores question + " " + answer: that must be our context + continuation
    // when the continuation starts with a space.
    task.answers.forEach((answer, a) => {
      const continuation = question.continuations[a]!;
      if (continuation.startsWith(" ")) assert.equal(`${task.question} ${answer}`, question.context + continuation);
      else assert.equal(answer, continuation);
    });
    assert.deepEqual(task.labels, task.answers.map((_, a) => (a === 1 ? 1 : 0)));
    assert.equal(task.mc2, 0);
  });
});

test("perplexityTokens: the shared prefix once plus each answer's rest", () => {
  // A character tokenizer: "q a" / "q b" share "q " (2 chars) → 2 + 1 + 1.
  const chars = (text: string): number[] => [...text].map((c) => c.charCodeAt(0));
  assert.equal(perplexityTokens([{ context: "q", continuations: [" a", " b"], gold: 0 }], chars), 4);
  assert.equal(perplexityTokens([{ context: "q", continuations: [" ab", " ac", " b"], gold: 0 }], chars), 2 + 2 + 2 + 1);
});

test("the CPU guard counts machine busy time not spent by this process and its children", () => {
  const before = { machineBusy: 1000, own: 100, at: 0 };
  // 10 s of wall; the machine was busy 600 ticks more, 500 of them ours: 100 ticks = 1 s elsewhere.
  const use = otherCpuUse(before, { machineBusy: 1600, own: 600, at: 10_000 });
  assert.ok(use !== undefined);
  assert.equal(use.seconds, 1);
  assert.ok(Math.abs(use.share - 1 / (10 * os.cpus().length)) < 1e-12);
  assert.equal(otherCpuUse(undefined, before), undefined);
});

test("the generation ceiling reads llama-batched-bench's JSON Lines rows (printf format of tools/batched-bench/batched-bench.cpp)", () => {
  // Two rows as batched-bench prints them (speed_tg = pl * tg / t_tg), with a log line between.
  const stdout = [
    '{"n_kv_max": 4096, "n_batch": 512, "n_ubatch": 512, "flash_attn": 0, "is_pp_shared": 1, "n_gpu_layers": -1, "n_threads": 2, "n_threads_batch": 2, "pp": 640, "tg": 64, "pl": 1, "n_kv": 704, "t_pp": 0.923000, "speed_pp": 693.066101, "t_tg": 0.512000, "speed_tg": 125.000000, "t": 1.435000, "speed": 490.592346}',
    "main: n_kv_max = 4096",
    '{"n_kv_max": 4096, "n_batch": 512, "n_ubatch": 512, "flash_attn": 0, "is_pp_shared": 1, "n_gpu_layers": -1, "n_threads": 2, "n_threads_batch": 2, "pp": 640, "tg": 64, "pl": 4, "n_kv": 896, "t_pp": 0.833000, "speed_pp": 768.307312, "t_tg": 1.672000, "speed_tg": 153.110046, "t": 2.505000, "speed": 357.684631}',
  ].join("\n");
  assert.deepEqual(parseBatchedBench(stdout, 2), [
    { threads: 2, parallel: 1, tokensPerSecond: 125 },
    { threads: 2, parallel: 4, tokensPerSecond: 153.110046 },
  ]);
  assert.throws(() => parseBatchedBench("main: nothing measured\n", 2), /no result rows/);
});

test("the generation ceiling's llama-batched-bench command holds every sequence's prompt and generation without shifting", () => {
  const args = batchedBenchArgs("m.gguf", { promptTokens: 861, generatedTokens: 256, threads: 2, flashAttention: false }, 1);
  const value = (flag: string): string => args[args.indexOf(flag) + 1]!;
  assert.ok(Number(value("-c")) >= Math.max(...PARALLEL_SEQUENCES) * (861 + 256));
  assert.equal(value("-npp"), "861");
  assert.equal(value("-ntg"), "256");
  assert.equal(value("-t"), "1");
  assert.equal(value("-fa"), "off");
  // node-llama-cpp's caches are per sequence: the ceiling must not use llama.cpp's unified one.
  assert.ok(args.includes("-no-kvu"));
});

test("the ceiling's rows are the median over runs, per thread count and sequence count", () => {
  const row = (threads: number, parallel: number, tokensPerSecond: number) => ({ threads, parallel, tokensPerSecond });
  assert.deepEqual(medianRows([row(2, 1, 120), row(1, 1, 90), row(2, 1, 100), row(1, 1, 70), row(2, 1, 130), row(1, 1, 80), row(2, 4, 10), row(2, 4, 20)]), [
    row(2, 1, 120),
    row(1, 1, 80),
    row(2, 4, 15),
  ]);
});
