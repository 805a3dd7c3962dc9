// The remote backend: scores and generates on an inference server (vLLM, SGLang, or an
// OpenAI-compatible endpoint that echoes prompt log-probabilities), in parts:
// - factory.ts: `createRemoteBackend`, options, server detection, identity, the first-request probe;
// - backend.ts: the Backend contract: tokenization and windows as the local backend, answers committed once;
// - protocol.ts, generationProtocol.ts, wire.ts (pure): request bodies and response readers per server;
// - serverTokenizer.ts: the server's own /tokenize when no --tokenizer is given (ids fetched ahead, answered from a memo);
// - http.ts: JSON over fetch, replicas, retries with backoff + jitter, Retry-After, timeouts;
// - schedule.ts (pure): batches in trie order and a pool of calls in flight.

export { connectServerTokenizer, createRemoteBackend, remoteOptionProblems, type RemoteBackendOptions, type ServerTokenizerOptions } from "./factory.js";
export { SERVER_KINDS, type ServerKind } from "./protocol.js";
