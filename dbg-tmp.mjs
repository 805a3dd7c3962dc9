import { createLlamaBackend } from "./dist/src/backend/llama.js";
const P="/work/shared/models/stories260K.gguf";
const ctx = "Once upon a time, there was a little girl named Lily. She loved to play outside in the sun.\n\nQ: Where was the cat?\nA: The answer is";
const b = await createLlamaBackend({modelPath:P, threads:1, modelSha256:"x", sequences:1});
for (const c of [" A"," B"," C"," D"]) { const w=b.tokenize(ctx+c), x=b.tokenize(ctx); console.log(JSON.stringify(c), w.slice(-3), x.slice(-3)); }
await b.dispose();
