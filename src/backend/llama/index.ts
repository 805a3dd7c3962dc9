// The in-process llama.cpp backend (node-llama-cpp 3.22.1), in parts:
// - factory.ts: `createLlamaBackend`, options and defaults;
// - backend.ts: the Backend contract over the parts below;
// - engine.ts: model, context and sequences, prefix reuse, the shared llama.cpp binding;
// - planner.ts (pure): requests in token-trie order, shared prefixes, groups, windows, positions to read;
// - layout.ts (pure): what a request costs in context cells, for sizing and for input checks;
// - waves.ts (pure): evaluations launched together over the sequences, cache copies, padding;
// - scorer.ts, generator.ts: a plan executed on the engine;
// - instrumentation.ts: work counters, and the timings only benchmarks pay for;
// - tokenizer.ts: the model's tokenizer, and `loadTokenizer` (vocabulary only).

export { createLlamaBackend, type LlamaBackendOptions } from "./factory.js";
export { loadTokenizer, type LoadedTokenizer } from "./tokenizer.js";
