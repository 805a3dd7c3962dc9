// Which of node-llama-cpp's prebuilt CPU kernels this process runs, and whether the model's
// weights should be memory-mapped with them.
//
// The prebuilt CPU backend ships one `libggml-cpu-<variant>.so` per instruction-set level and
// ggml loads the best one this CPU runs at start-up (an Intel Xeon with AVX-512 but no AMX
// gets "zen4" here; one with AMX gets "sapphirerapids"). Kernels move log-likelihoods in their
// last bits, so the variant is part of the engine's provenance (and of the cache key).
//
// Some variants copy ("repack") weights of some types into a layout of their own at load.
// With the file memory-mapped, the mapped pages the repack read stay resident beside the
// copy: a 7B Q8_0 on the AMX variant peaked at model + 8 GiB with mmap and model + 0.9 GiB
// without (issue 28's measurement). The types each variant repacks are ggml's own lists in
// the bundled llama.cpp (ggml-cpu/amx/common.h `qtype_has_amx_kernels`, ggml-cpu/repack.cpp
// `ggml_repack_get_optimal_repack_type` for x86).

import { readFileSync } from "node:fs";

/** The variant name of the loaded `libggml-cpu-<variant>.so` ("zen4", "sapphirerapids", …), or undefined where it cannot be read (not Linux, a static build). */
export function loadedCpuVariant(mapsText: string | undefined = readProcMaps()): string | undefined {
  if (mapsText === undefined) return undefined;
  const match = /libggml-cpu-([A-Za-z0-9_]+)\.so/.exec(mapsText);
  return match?.[1];
}

function readProcMaps(): string | undefined {
  try {
    return readFileSync("/proc/self/maps", "utf8");
  } catch {
    return undefined;
  }
}

/** x86 variants built with AVX2 (ggml's cpu-variant list), whose CPU_REPACK buffer repacks these types. */
const AVX2_VARIANTS = new Set(["haswell", "skylakex", "cannonlake", "cascadelake", "cooperlake", "icelake", "alderlake", "sapphirerapids", "zen4"]);
const AVX512_VARIANTS = new Set(["skylakex", "cannonlake", "cascadelake", "cooperlake", "icelake", "sapphirerapids", "zen4"]);
/** The one x86 variant built with AMX (AMX_INT8): its AMX buffer takes these types first. */
const AMX_VARIANTS = new Set(["sapphirerapids"]);
const AMX_TYPES = ["q4_0", "q4_1", "q8_0", "q4_k", "q5_k", "q6_k", "iq4_xs"];
const AVX2_REPACK_TYPES = ["q4_0", "q4_k", "iq4_nl", "mxfp4"];
const AVX512_REPACK_TYPES = ["q2_k"];

/** The weight types the variant copies into a layout of its own at load. */
export function repackedTypes(variant: string | undefined): Set<string> {
  const types = new Set<string>();
  if (variant === undefined) return types;
  if (AMX_VARIANTS.has(variant)) AMX_TYPES.forEach((type) => types.add(type));
  if (AVX2_VARIANTS.has(variant)) AVX2_REPACK_TYPES.forEach((type) => types.add(type));
  if (AVX512_VARIANTS.has(variant)) AVX512_REPACK_TYPES.forEach((type) => types.add(type));
  return types;
}

export type MmapSetting = "on" | "off" | "auto";
export const MMAP_SETTINGS: readonly MmapSetting[] = ["on", "off", "auto"];

export interface MmapChoice {
  useMmap: boolean;
  /** Why, in a few words (printed by `run --verbose` and recorded with the setting). */
  reason: string;
}

/**
 * Whether to memory-map the weights. "auto": not when the CPU kernels repack any of the
 * file's weight types (the mapped pages would be a second copy; reading the file instead costs
 * load time, measured by `npm run bench -- --shape 7b`), and not with a GPU deciding either
 * way (llama.cpp's default, mmap on, is kept there).
 */
export function chooseMmap(setting: MmapSetting, variant: string | undefined, weightTypes: readonly string[], gpu: boolean): MmapChoice {
  if (setting === "on") return { useMmap: true, reason: "--mmap on" };
  if (setting === "off") return { useMmap: false, reason: "--mmap off" };
  if (gpu) return { useMmap: true, reason: "auto: llama.cpp's default with a GPU" };
  const repacked = repackedTypes(variant);
  const hit = weightTypes.filter((type) => repacked.has(type));
  if (hit.length > 0) return { useMmap: false, reason: `auto: the ${variant} kernels repack ${hit.join(", ")} weights` };
  return { useMmap: true, reason: `auto: the ${variant ?? "unknown"} kernels repack none of ${weightTypes.join(", ") || "the weights"}` };
}
