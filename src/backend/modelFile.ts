// Checks a model file before llama.cpp sees it, so that a wrong path, a file that
// is not GGUF or a truncated download gives one clear line instead of a native error.

import { open, stat } from "node:fs/promises";
import { GgmlType, readGgufFileInfo, type GgufFileInfo } from "node-llama-cpp";
import { UserError } from "../util/errors.js";
import { notAFileKind } from "../util/files.js";

export interface ModelFileInfo {
  path: string;
  sizeBytes: number;
  mtimeMs: number;
  /** The training context length from the header (`<arch>.context_length`); 0 if absent. */
  trainContextSize: number;
  architecture: string;
  /** `tokenizer.ggml.model`, e.g. "llama" (SentencePiece) or "gpt2" (BPE). */
  vocabType?: string;
  bosId?: number;
  eosId?: number;
  /** No tensors: a vocabulary-only GGUF (llama.cpp's `vocab_only`), usable as a tokenizer, not as a model. */
  vocabularyOnly: boolean;
  /** The distinct GGML types of the file's tensors, lower case ("q8_0", "f32"): which kernels may repack them. */
  weightTypes: string[];
}

const GGUF_MAGIC = "GGUF";

// Bytes per block and elements per block of the common GGML tensor types (ggml's
// type traits). Used only to check that the tensor data fits in the file.
const BLOCK_LAYOUT: Partial<Record<GgmlType, { elements: number; bytes: number }>> = {
  [GgmlType.F32]: { elements: 1, bytes: 4 },
  [GgmlType.F16]: { elements: 1, bytes: 2 },
  [GgmlType.BF16]: { elements: 1, bytes: 2 },
  [GgmlType.Q4_0]: { elements: 32, bytes: 18 },
  [GgmlType.Q4_1]: { elements: 32, bytes: 20 },
  [GgmlType.Q5_0]: { elements: 32, bytes: 22 },
  [GgmlType.Q5_1]: { elements: 32, bytes: 24 },
  [GgmlType.Q8_0]: { elements: 32, bytes: 34 },
  [GgmlType.Q2_K]: { elements: 256, bytes: 84 },
  [GgmlType.Q3_K]: { elements: 256, bytes: 110 },
  [GgmlType.Q4_K]: { elements: 256, bytes: 144 },
  [GgmlType.Q5_K]: { elements: 256, bytes: 176 },
  [GgmlType.Q6_K]: { elements: 256, bytes: 210 },
  [GgmlType.Q8_K]: { elements: 256, bytes: 292 },
};

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/** The GGUF versions the bundled llama.cpp reads (GGUF_VERSION 3; version 2 is still read, version 1 no longer). */
const GGUF_VERSIONS = { oldest: 2, newest: 3 };

/** One line for a GGUF version the bundled llama.cpp does not read (the header says which), else null. */
function ggufVersionProblem(path: string, version: number): UserError | null {
  if (version > GGUF_VERSIONS.newest) {
    return new UserError("model", `${path} is GGUF version ${version}, newer than this llama.cpp reads (${GGUF_VERSIONS.oldest} to ${GGUF_VERSIONS.newest}); convert the model with a llama.cpp of the same age as rakuten-eval's, or use a rakuten-eval built on a newer node-llama-cpp.`);
  }
  if (version < GGUF_VERSIONS.oldest) {
    return new UserError("model", `${path} is GGUF version ${version}, older than this llama.cpp reads (${GGUF_VERSIONS.oldest} to ${GGUF_VERSIONS.newest}); convert the original model again with a current llama.cpp (convert_hf_to_gguf.py).`);
  }
  return null;
}

/** The smallest file size that holds every tensor's data, when the types are known. */
function requiredDataEnd(info: GgufFileInfo): number {
  let end = 0;
  for (const tensor of info.tensorInfo ?? []) {
    if (tensor.filePart !== 1) continue;
    const start = Number(tensor.fileOffset);
    const layout = BLOCK_LAYOUT[tensor.ggmlType];
    let size = 1; // unknown type: at least its first byte must be there
    if (layout !== undefined) {
      const elements = tensor.dimensions.reduce<number>((product, dimension) => product * Number(dimension), 1);
      size = Math.ceil(elements / layout.elements) * layout.bytes;
    }
    end = Math.max(end, start + size);
  }
  return end;
}

/**
 * Checks that `path` exists, starts with the GGUF magic and has a readable
 * header whose tensors fit in the file; returns what the header says.
 * Throws `UserError("model", ...)` with one line naming the file and the fix.
 */
export async function inspectModelFile(path: string): Promise<ModelFileInfo> {
  let stats;
  try {
    stats = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "ENOENT") throw new UserError("model", `Model file not found: ${path}. Check the path, or download the GGUF model file first.`);
    throw new UserError("model", `Cannot read model file ${path} (${code ?? oneLine(String(error))}). Check the path and its permissions.`);
  }
  // Decided by stat alone: opening a FIFO would block.
  const kind = notAFileKind(stats);
  if (kind !== null) throw new UserError("model", `Model path is ${kind}, not a file: ${path}. Pass the path of a .gguf model file.`);

  const magic = Buffer.alloc(8);
  let bytesRead = 0;
  try {
    const handle = await open(path, "r");
    try {
      ({ bytesRead } = await handle.read(magic, 0, 8, 0));
    } finally {
      await handle.close();
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError("model", `Cannot read model file ${path} (${code ?? oneLine(String(error))}). Check its permissions.`);
  }
  if (bytesRead < 4 || magic.toString("latin1", 0, 4) !== GGUF_MAGIC) {
    throw new UserError(
      "model",
      `Not a GGUF model file: ${path} (it does not start with the "GGUF" magic bytes). Pass a .gguf file; convert other formats with llama.cpp's convert_hf_to_gguf.py.`,
    );
  }

  const versionProblem = bytesRead === 8 ? ggufVersionProblem(path, magic.readUInt32LE(4)) : null;
  if (versionProblem) throw versionProblem;

  let info: GgufFileInfo;
  try {
    info = await readGgufFileInfo(path, { sourceType: "filesystem", logWarnings: false, spliceSplitFiles: false });
  } catch (error) {
    throw new UserError(
      "model",
      `Corrupt or truncated GGUF header in ${path} (${oneLine(error instanceof Error ? error.message : String(error))}). Download the file again and compare its sha256.`,
    );
  }
  // node-llama-cpp's reader reads past the end of a file as zeros instead of failing,
  // so a cut-off header has to be caught by comparing where it ends with the file size.
  // The end is aligned for the tensor data that follows; a file without tensors (a
  // vocabulary-only GGUF, which llama.cpp reads) need not hold that padding.
  const vocabularyOnly = (info.tensorInfo ?? []).length === 0;
  const alignment = Number((info.metadata.general as { alignment?: number } | undefined)?.alignment ?? 32);
  const headerEnd = Number(info.infoEndOffset);
  if (headerEnd > stats.size && !(vocabularyOnly && headerEnd - stats.size < alignment)) {
    throw new UserError(
      "model",
      `Corrupt or truncated GGUF header in ${path} (the header needs ${headerEnd} bytes, the file has ${stats.size}). Download the file again and compare its sha256.`,
    );
  }
  if (info.metadata.general?.architecture === undefined) {
    throw new UserError("model", `Corrupt or truncated GGUF header in ${path} (no general.architecture key). Download the file again and compare its sha256.`);
  }
  const dataEnd = requiredDataEnd(info);
  if (dataEnd > stats.size) {
    throw new UserError(
      "model",
      `Truncated GGUF model file: ${path} is ${stats.size} bytes but its tensors need ${dataEnd}. Download the file again and compare its sha256.`,
    );
  }

  const metadata = info.metadata;
  const tokenizer = metadata.tokenizer?.ggml;
  const contextLength = (info.architectureMetadata as { context_length?: number | bigint } | undefined)?.context_length;
  return {
    path,
    sizeBytes: stats.size,
    mtimeMs: stats.mtimeMs,
    trainContextSize: contextLength === undefined ? 0 : Number(contextLength),
    architecture: String(metadata.general?.architecture ?? "unknown"),
    vocabularyOnly,
    weightTypes: [...new Set((info.tensorInfo ?? []).map((tensor) => (GgmlType[tensor.ggmlType] ?? String(tensor.ggmlType)).toLowerCase()))].sort(),
    ...(tokenizer?.model !== undefined ? { vocabType: String(tokenizer.model) } : {}),
    ...(tokenizer?.bos_token_id !== undefined ? { bosId: Number(tokenizer.bos_token_id) } : {}),
    ...(tokenizer?.eos_token_id !== undefined ? { eosId: Number(tokenizer.eos_token_id) } : {}),
  };
}
