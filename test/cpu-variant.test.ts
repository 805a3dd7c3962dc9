// Which CPU kernels run, and when the weights are read instead of mapped. The repacked types
// are ggml's own lists in the llama.cpp that node-llama-cpp 3.22.1 ships
// (ggml-cpu/amx/common.h qtype_has_amx_kernels; ggml-cpu/repack.cpp, x86 branches).
import { test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import path from "node:path";
import { chooseMmap, loadedCpuVariant, repackedTypes } from "../src/backend/llama/cpuVariant.js";
import { createLlamaBackend } from "../src/backend/llama/index.js";

test("the variant is read from the loaded libggml-cpu-<variant>.so", () => {
  const maps = [
    "7f00-7f01 r-xp 00000000 fd:01 1 /x/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/libggml-base.so",
    "7f02-7f03 r-xp 00000000 fd:01 2 /x/node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/libggml-cpu-sapphirerapids.so",
  ].join("\n");
  assert.equal(loadedCpuVariant(maps), "sapphirerapids");
  assert.equal(loadedCpuVariant("7f00-7f01 r-xp 0 0 0 /usr/lib/libc.so.6"), undefined);
  assert.equal(loadedCpuVariant(undefined), undefined);
});

test("AMX repacks Q8_0; AVX-512 variants without AMX do not, and repack Q4_0 through CPU_REPACK", () => {
  assert.ok(repackedTypes("sapphirerapids").has("q8_0"));
  assert.ok(!repackedTypes("zen4").has("q8_0"));
  assert.ok(!repackedTypes("icelake").has("q8_0"));
  assert.ok(repackedTypes("zen4").has("q4_0"));
  assert.ok(repackedTypes("haswell").has("q4_k"));
  assert.ok(!repackedTypes("haswell").has("q2_k")); // AVX-512 only
  assert.deepEqual([...repackedTypes("sse42")], []);
  assert.deepEqual([...repackedTypes(undefined)], []);
});

test("auto reads the file where the kernels repack its weights, maps it otherwise; on/off and a GPU as told", () => {
  const q8 = ["f32", "q8_0"];
  assert.equal(chooseMmap("auto", "sapphirerapids", q8, false).useMmap, false);
  assert.match(chooseMmap("auto", "sapphirerapids", q8, false).reason, /sapphirerapids kernels repack q8_0/);
  assert.equal(chooseMmap("auto", "zen4", q8, false).useMmap, true);
  assert.equal(chooseMmap("auto", "zen4", ["f32", "q4_0"], false).useMmap, false);
  assert.equal(chooseMmap("auto", undefined, q8, false).useMmap, true);
  assert.equal(chooseMmap("auto", "sapphirerapids", q8, true).useMmap, true);
  assert.equal(chooseMmap("on", "sapphirerapids", q8, false).useMmap, true);
  assert.equal(chooseMmap("off", "zen4", q8, false).useMmap, false);
});

const model = path.resolve(process.cwd(), "../shared/models/stories260K.gguf");
test("the backend records the variant this process loaded and whether it mapped the weights", { skip: (process.platform !== "linux" && "reads /proc/self/maps (Linux)") || (!existsSync(model) && "../shared/models/stories260K.gguf absent") }, async () => {
  const backend = await createLlamaBackend({ modelPath: model, threads: 1, mmap: "off" });
  try {
    const description = backend.describe();
    // Independent of our reader: the file names of the CPU backends this process has mapped.
    const { readFileSync } = await import("node:fs");
    const mapped = [...new Set(readFileSync("/proc/self/maps", "utf8").match(/libggml-cpu-[A-Za-z0-9_]+\.so/g) ?? [])];
    assert.equal(mapped.length, 1, `exactly one CPU variant mapped: ${mapped.join(", ")}`);
    assert.equal(`libggml-cpu-${String(description["cpuVariant"])}.so`, mapped[0]);
    assert.equal(description["mmap"], false);
  } finally {
    await backend.dispose();
  }
});
