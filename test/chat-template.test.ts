// Chat templates as lm-evaluation-harness v0.4 applies them. Expected turns are written from
// lm-eval's code (lm_eval/api/task.py `fewshot_context` / `append_target_question`,
// lm_eval/api/samplers.py `get_chat_context`, `construct_requests` dropping `target_delimiter`);
// expected bytes from ChatML's published format (`<|im_start|>ROLE\nCONTENT<|im_end|>\n`, then
// `<|im_start|>assistant\n` as the generation prompt), applied to the plain prompts that
// test/cli-prompts.test.ts and the baseline pin.
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { joinPromptParts, type PromptParts } from "../src/api/task.js";
import { chatMessages, plainContextWithInstruction } from "../src/evaluation/chatContext.js";
import { promptRecords, type PromptRecord } from "../src/inspect/prompts.js";
import { planTask } from "../src/evaluation/taskPlan.js";
import { allTasks } from "../src/tasks/registry.js";
import { writeGgufWithStrings } from "./support/ggufWithTemplate.js";
import { sharedSkip } from "./support/sharedData.js";

const root = process.cwd();
const dataDir = path.resolve(root, "../shared/datasets");
const vocab = path.resolve(root, "../shared/models/vocab/llm-jp-v2.2-vocab.gguf");
const stories = path.resolve(root, "../shared/models/stories260K.gguf");
const skipData = sharedSkip(dataDir);
const skipModel = skipData || sharedSkip(vocab);

const CHATML =
  "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}" +
  "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}";
const chatml = (turns: [string, string][]) => turns.map(([role, content]) => `<|im_start|>${role}\n${content}<|im_end|>\n`).join("") + "<|im_start|>assistant\n";

const PARTS: PromptParts = {
  description: "About anatomy.\n\n",
  shots: [
    { text: "Q1\nAnswer:", target: " A" },
    { text: "Q2\nAnswer:", target: " B" },
  ],
  fewshotDelimiter: "\n\n",
  targetDelimiter: " ",
  text: "Q3\nAnswer:",
};

test("chat turns: the description is the system turn; shots stay one user turn with the question appended", () => {
  assert.deepEqual(chatMessages(PARTS, {}), [
    { role: "system", content: "About anatomy.\n\n" },
    { role: "user", content: "Q1\nAnswer: A\n\nQ2\nAnswer: B\n\nQ3\nAnswer:" },
  ]);
});

test("chat turns, multi-turn: user/assistant per shot, assistant = target without the delimiter; system = instruction + fewshot_delimiter + description", () => {
  assert.deepEqual(chatMessages(PARTS, { fewshotAsMultiturn: true, systemInstruction: "Be brief." }), [
    { role: "system", content: "Be brief.\n\nAbout anatomy.\n\n" },
    { role: "user", content: "Q1\nAnswer:" },
    { role: "assistant", content: "A" },
    { role: "user", content: "Q2\nAnswer:" },
    { role: "assistant", content: "B" },
    { role: "user", content: "Q3\nAnswer:" },
  ]);
  const bare = { ...PARTS, description: "", shots: [] };
  assert.deepEqual(chatMessages(bare, {}), [{ role: "user", content: "Q3\nAnswer:" }]);
  assert.deepEqual(chatMessages(bare, { systemInstruction: "S" }), [
    { role: "system", content: "S" },
    { role: "user", content: "Q3\nAnswer:" },
  ]);
});

test("system instruction without a template: lm-eval puts the system prompt before the shots, with no separator when there is no description", () => {
  assert.equal(plainContextWithInstruction(PARTS, "Be brief."), "Be brief.\n\nAbout anatomy.\n\nQ1\nAnswer: A\n\nQ2\nAnswer: B\n\nQ3\nAnswer:");
  assert.equal(plainContextWithInstruction({ ...PARTS, description: "" }, "S."), "S.Q1\nAnswer: A\n\nQ2\nAnswer: B\n\nQ3\nAnswer:");
});

test("every task's prompt parts join to its plain context (first docs of each task with data)", { skip: skipData }, async () => {
  let checked = 0;
  for (const task of allTasks().filter((t) => !t.name.startsWith("hendrycksTest-") || t.name === "hendrycksTest-anatomy")) {
    let plan;
    try {
      plan = await planTask({ task, shots: task.defaultShots }, { dataDir, limit: 3 });
    } catch {
      continue; // data missing here
    }
    // The plan keeps the shots as pool indexes: rebuild the docs to ask the task for its parts.
    const pool = plan.data.fewshot ? task.parseDocs("fewshot", plan.data.fewshot.records) : [];
    const evalDocs = task.parseDocs("eval", plan.data.eval.records);
    for (const d of plan.docs) {
      const shotDocs = d.shotIds.map((i) => pool[i]);
      assert.equal(joinPromptParts(task.promptParts(evalDocs[d.docId], shotDocs)), d.context, `${task.name} doc ${d.docId}`);
      checked++;
    }
  }
  assert.ok(checked >= 20, `${checked} docs checked`);
});

async function collect(options: Parameters<typeof promptRecords>[0]): Promise<PromptRecord[]> {
  const out: PromptRecord[] = [];
  for await (const r of promptRecords(options)) out.push(r);
  return out;
}

test("--apply-chat-template renders the GGUF's own template (ChatML embedded in a copy of a real vocabulary)", { skip: skipModel }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "chat-template-"));
  try {
    const model = path.join(dir, "chatml.gguf");
    writeGgufWithStrings(vocab, model, { "tokenizer.chat_template": CHATML });
    for (const [task, shots] of [["arc_challenge", 2], ["hendrycksTest-anatomy", 2], ["jcommonsenseqa-1.1-0.3", 1], ["mgsm-1.0-0.3", 2]] as const) {
      const plain = await collect({ task, shots, limit: 2, dataDir, model });
      const chat = await collect({ task, shots, limit: 2, dataDir, model, applyChatTemplate: true });
      assert.equal(chat.length, plain.length);
      chat.forEach((c, i) => {
        const p = plain[i]!;
        // MMLU's description (the subject line and its "\n\n") moves to the system turn.
        const description = task.startsWith("hendrycksTest-") ? "The following are multiple choice questions (with answers) about anatomy.\n\n" : task.endsWith("-0.3") ? "以下は、タスクを説明する指示と、文脈のある入力の組み合わせです。要求を適切に満たす応答を書きなさい。\n\n" : "";
        assert.ok(p.context.startsWith(description));
        const turns: [string, string][] = description ? [["system", description]] : [];
        turns.push(["user", p.context.slice(description.length)]);
        assert.equal(c.context, chatml(turns), `${task} request ${i}`);
        // EleutherAI's continuations lose their leading space (target_delimiter ""); jp-stable's have none.
        if (p.type === "loglikelihood") assert.equal(c.continuation, task.endsWith("-0.3") ? p.continuation : p.continuation!.replace(/^ /, ""));
        else assert.deepEqual([c.until, c.max_tokens], [p.until, p.max_tokens]);
      });
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

const cli = (...args: string[]) => spawnSync(process.execPath, [path.join(root, "bin/run.js"), ...args], { encoding: "utf8", maxBuffer: 64 << 20 });

test("CLI: --chat-template FILE with --fewshot-as-multiturn and --system-instruction, pinned bytes", { skip: skipModel }, () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), "chat-template-"));
  try {
    const file = path.join(dir, "chatml.jinja");
    writeFileSync(file, CHATML);
    const r = cli("prompts", "--task", "arc_challenge", "--shots", "1", "--limit", "1", "--data-dir", dataDir, "--model", vocab, "--chat-template", file, "--fewshot-as-multiturn", "--system-instruction", "Be brief.");
    assert.equal(r.status, 0, r.stderr);
    const first = JSON.parse(r.stdout.split("\n").find((l) => l.startsWith("{"))!) as PromptRecord;
    // doc 595 is the first shuffled ARC test doc; its one shot is the same as in the plain prompt.
    const plain = JSON.parse(cli("prompts", "--task", "arc_challenge", "--shots", "1", "--limit", "1", "--data-dir", dataDir).stdout.split("\n")[0]!) as PromptRecord;
    const [shot, question] = plain.context.split("\n\n") as [string, string];
    const cut = shot.lastIndexOf("\nAnswer:") + "\nAnswer:".length;
    assert.equal(first.context, chatml([["system", "Be brief."], ["user", shot.slice(0, cut)], ["assistant", shot.slice(cut + 1)], ["user", question]]));
    assert.ok(first.context.startsWith("<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nQuestion: "));
    assert.ok(first.context.endsWith("\nAnswer:<|im_end|>\n<|im_start|>assistant\n"));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("CLI: a model without a chat template, and multi-turn without a template, exit 2 with one line", { skip: skipData || sharedSkip(stories) }, () => {
  const none = cli("prompts", "--task", "arc_challenge", "--limit", "1", "--data-dir", dataDir, "--model", stories, "--apply-chat-template");
  assert.equal(none.status, 2);
  const lines = none.stderr.split("\n").filter((l) => l.startsWith("error:"));
  assert.deepEqual(lines, [`error: Model ${stories} has no chat template (no tokenizer.chat_template in its GGUF metadata); run without --apply-chat-template, or pass a Jinja file with --chat-template FILE.`]);
  const multi = cli("run", "--tasks", "arc_challenge", "--limit", "1", "--data-dir", dataDir, "--model", stories, "--fewshot-as-multiturn", "--no-cache", "--output", os.tmpdir());
  assert.equal(multi.status, 2);
  assert.match(multi.stderr, /^error: --fewshot-as-multiturn needs --apply-chat-template/m);
});

test("results record the chat settings the lm-eval way, and compare refuses to mix templated and plain runs", async () => {
  const { chatConfig } = await import("../src/results/document.js");
  const { tempDir, writeRun, bits } = await import("./support/compareFixtures.js");
  const renderer = { source: "tokenizer.chat_template", template: CHATML, render: () => "" };
  const recorded = chatConfig({ renderer, fewshotAsMultiturn: true, systemInstruction: "Be brief." });
  // sha256 of the UTF-8 text, as lm-eval's hash_string.
  const { createHash } = await import("node:crypto");
  assert.deepEqual(recorded, {
    apply_chat_template: true,
    chat_template: CHATML,
    chat_template_sha: createHash("sha256").update(CHATML).digest("hex"),
    chat_template_source: "tokenizer.chat_template",
    fewshot_as_multiturn: true,
    system_instruction: "Be brief.",
    system_instruction_sha: createHash("sha256").update("Be brief.").digest("hex"),
  });
  assert.deepEqual(chatConfig(undefined), {
    apply_chat_template: false,
    chat_template: null,
    chat_template_sha: null,
    chat_template_source: null,
    fewshot_as_multiturn: false,
    system_instruction: null,
    system_instruction_sha: null,
  });
  const rootDir = tempDir("chat");
  const task = { key: "jnli", task: "jnli-1.1-0.3", metric: "acc", score: 50, n: 20, samples: bits(20, 10) };
  // The baseline predates the records (no keys): it counts as plain prompts.
  const base = writeRun(path.join(rootDir, "base"), { modelPath: "/m/a.gguf", tasks: [task] });
  const next = writeRun(path.join(rootDir, "new"), { modelPath: "/m/a.gguf", tasks: [task], config: recorded });
  const refused = cli("compare", next, "--baseline", base);
  assert.equal(refused.status, 2, refused.stderr);
  const lines = refused.stderr.trim().split("\n");
  assert.deepEqual(
    lines.map((l) => l.replace(/sha256 [0-9a-f]{8}…/g, "sha256 X…")),
    [
      "error: prompts differ from the baseline: chat template none → tokenizer.chat_template sha256 X…; scores are not comparable: rerun with the same prompt settings, or pass --allow-config-mismatch.",
      "error: prompts differ from the baseline: few-shot as multi-turn no → yes; scores are not comparable: rerun with the same prompt settings, or pass --allow-config-mismatch.",
      "error: prompts differ from the baseline: system instruction none → sha256 X…; scores are not comparable: rerun with the same prompt settings, or pass --allow-config-mismatch.",
    ],
  );
  const same = writeRun(path.join(rootDir, "same"), { modelPath: "/m/a.gguf", tasks: [task], config: recorded });
  assert.equal(cli("compare", next, "--baseline", same).status, 0);
  // Allowed, the numbers are shown but the gate cannot pass (exit 1), as for every other config mismatch.
  const allowed = cli("compare", next, "--baseline", base, "--allow-config-mismatch");
  assert.equal(allowed.status, 1);
  assert.match(allowed.stdout + allowed.stderr, /chat template none → tokenizer\.chat_template/);
});
