// Cache keys that cannot go stale: the model is identified by its bytes even when a replacement
// keeps the size and mtime; the code that turns requests into tokens and scores is part of the
// key (a version derived from that code, not a hand-edited string); the thread count is not;
// the GPU offload is.
import { test, after } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, utimesSync, writeFileSync, appendFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { BackendDescription } from "../src/api/types.js";
import { RequestCache } from "../src/cache/store.js";
import { settingsId } from "../src/cache/keys.js";
import { scoringSemantics, scoringSemanticsOf } from "../src/backend/scoringSemantics.js";
import { createLlamaBackend } from "../src/backend/llama/index.js";
import { sharedSkip } from "./support/sharedData.js";

const root = process.cwd();
const model = path.resolve(root, "../shared/models/stories260K.gguf");
const scratch = mkdtempSync(path.join(tmpdir(), "rakuten-eval-stale-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

const sha = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

test("a same-size replacement that keeps the mtime is hashed again (rewritten in place in the middle, or renamed over with another first byte)", async () => {
  const cache = RequestCache.open(path.join(scratch, "cache-model"));
  try {
    const file = path.join(scratch, "model.gguf");
    // 3 MiB, so that the middle is outside the first and last MiB the fingerprint reads.
    const original = Buffer.alloc(3 << 20, 0x11);
    writeFileSync(file, original);
    const mtime = new Date(1_700_000_000_000); // a whole second: restored exactly below
    utimesSync(file, mtime, mtime);
    assert.equal(await cache.modelSha256(file), sha(file));

    // Rewritten in place with other bytes of the same size, then its mtime restored (`cp -p`).
    const inPlace = Buffer.from(original);
    inPlace[(3 << 20) / 2] = 0x22; // in the middle: only the file's identity (ctime) can tell
    writeFileSync(file, inPlace);
    utimesSync(file, mtime, mtime);
    assert.equal(statSync(file).size, original.length);
    assert.equal(statSync(file).mtimeMs, mtime.getTime());
    assert.equal(await cache.modelSha256(file), sha(file));
    assert.notEqual(sha(file), createHash("sha256").update(original).digest("hex"));

    // Replaced by rename (`rsync -a`, a container layer): a new inode, same size and mtime.
    const other = Buffer.from(original);
    other[0] = 0x33;
    const staged = path.join(scratch, "model.gguf.staged");
    writeFileSync(staged, other);
    utimesSync(staged, mtime, mtime);
    renameSync(staged, file);
    assert.equal(await cache.modelSha256(file), createHash("sha256").update(other).digest("hex"));

    // Unchanged: served from the cache, and still right.
    assert.equal(await cache.modelSha256(file), createHash("sha256").update(other).digest("hex"));
    appendFileSync(file, "more");
    assert.equal(await cache.modelSha256(file), sha(file));
  } finally {
    cache.close();
  }
});

test("the scoring-semantics version is a hash of the scoring code: it changes when any of that code changes", () => {
  const backendDir = path.join(root, "dist", "src", "backend");
  const { version, files } = scoringSemantics();
  // The modules where requests become tokens, cells, scores and generations are all covered.
  for (const f of ["tokenization.js", "planning/planner.js", "planning/layout.js", "llama/scorer.js", "llama/generator.js", "llama/tokenizer.js", "llama/engine.js"]) {
    assert.ok(files.includes(f), `${f} is hashed`);
  }
  // Recomputed here from the file bytes (the documented format), not by the code under test.
  const hash = createHash("sha256");
  for (const f of [...files].sort()) {
    const bytes = readFileSync(path.join(backendDir, f));
    hash.update(`${f}\0${bytes.length}\0`).update(bytes);
  }
  assert.equal(version, hash.digest("hex"));
  assert.match(version, /^[0-9a-f]{64}$/);

  // A copy of the compiled backend: changing any one hashed file changes the version.
  const copy = path.join(scratch, "backend-copy");
  cpSync(backendDir, copy, { recursive: true });
  assert.equal(scoringSemanticsOf(copy, ".js").version, version);
  for (const f of files) {
    const file = path.join(copy, f);
    const before = readFileSync(file);
    writeFileSync(file, Buffer.concat([before, Buffer.from("\n// changed\n")]));
    assert.notEqual(scoringSemanticsOf(copy, ".js").version, version, `a change in ${f}`);
    writeFileSync(file, before);
  }
  // A new module that the scorer starts to import is hashed too.
  writeFileSync(path.join(copy, "llama", "newRule.js"), "export const rule = 1;\n");
  appendFileSync(path.join(copy, "llama", "scorer.js"), '\nimport { rule } from "./newRule.js";\n');
  const widened = scoringSemanticsOf(copy, ".js");
  assert.ok(widened.files.includes(path.join("llama", "newRule.js")));
  writeFileSync(path.join(copy, "llama", "newRule.js"), "export const rule = 2;\n");
  assert.notEqual(scoringSemanticsOf(copy, ".js").version, widened.version);

  // And the version is part of every cache key.
  const description: BackendDescription = {
    engine: "e", engineVersion: "1", modelPath: "m", modelSha256: "a".repeat(64), contextSize: 2048, batchSize: 512, threads: 1, kvCacheType: "f16", flashAttention: false, gpu: false,
  };
  assert.notEqual(settingsId({ ...description, scoringSemantics: version }), settingsId({ ...description, scoringSemantics: widened.version }));
  assert.notEqual(settingsId({ ...description, gpuLayers: 0 }), settingsId({ ...description, gpuLayers: 12 }), "GPU offload is keyed");
});

test("threads do not change the key (1 vs 6 threads on a CPU); the description records the offload and the semantics version", { skip: sharedSkip(model) }, async () => {
  const modelSha256 = sha(model);
  const descriptions: BackendDescription[] = [];
  for (const threads of [1, 6]) {
    const backend = await createLlamaBackend({ modelPath: model, threads, modelSha256 });
    try {
      descriptions.push(backend.describe());
    } finally {
      await backend.dispose();
    }
  }
  const [one, six] = descriptions as [BackendDescription, BackendDescription];
  assert.equal(one.threads, 1);
  assert.equal(six.threads, 6);
  assert.equal(one["sequences"], 1, "the default sequence count on a CPU");
  assert.equal(six["sequences"], 1, "the default sequence count does not follow the threads");
  assert.equal(one["gpuLayers"], 0);
  assert.equal(one["scoringSemantics"], scoringSemantics().version);
  assert.equal(settingsId(one), settingsId(six));
});
