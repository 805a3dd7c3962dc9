// The in-process llama.cpp backend (node-llama-cpp 3.22.1), in parts:
// - factory.ts: `createLlamaBackend`, options and defaults;
// - backend.ts: the Backend contract over the parts below;
// - engine.ts: model, context and sequences, prefix reuse, the shared llama.cpp binding;
// - ../planning/ (pure, shared with the remote backend): planner.ts (requests in token-trie order,
//   shared prefixes, groups, windows, positions to read) and layout.ts (a request's context cells);
// - waves.ts (pure): evaluations launched together over the sequences, cache copies, padding;
// - scorer.ts, generator.ts: a plan executed on the engine;
// - instrumentation.ts: work counters, and the timings only benchmarks pay for;
// - tokenizer.ts: the model's tokenizer, and `loadTokenizer` (vocabulary only).

export { createLlamaBackend, type LlamaBackendOptions } from "./factory.js";
export { loadTokenizer, type LoadedTokenizer } from "./tokenizer.js";
