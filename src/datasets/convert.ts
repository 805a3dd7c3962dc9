// Turns a fetched source file into the manifest's file, where the two differ: a member of a tar
// archive (MMLU's data.tar), Parquet rows from the Hugging Face Hub as JSON lines (ARC, MARC-ja,
// XL-Sum), yandex's xWinograd TSV as Stability's sentence pairs, and the MGSM exemplars of
// exemplars.py as HF juletxara/mgsm's train lines. Each produces exactly the bytes the manifest
// pins where it pins them (see the notes per converter); the caller verifies before use.
// This module picks the converter the manifest names; each format has its own module.

import { open } from "node:fs/promises";
import type { ConvertSpec } from "./manifestTypes.js";
import { mgsmExemplarsJsonl } from "./mgsmExemplars.js";
import { parquetToJsonl } from "./parquetJsonl.js";
import { xwinogradFromYandexTsv } from "./xwinograd.js";

/** Convert the fetched `source` file to the bytes of the manifest file (not for `tar-member`: see extractTarMembers). */
export async function convertFile(convert: ConvertSpec, source: string, label: string): Promise<Buffer> {
  switch (convert.kind) {
    case "parquet-jsonl":
      return parquetToJsonl(source, convert.rows, label);
    case "xwinograd-yandex":
      return xwinogradFromYandexTsv((await readAll(source)).toString("utf8"), convert.language, label);
    case "mgsm-exemplars":
      return mgsmExemplarsJsonl((await readAll(source)).toString("utf8"), convert.language, label);
    case "tar-member":
      throw new Error("tar members are extracted with extractTarMembers");
  }
}

async function readAll(file: string): Promise<Buffer> {
  const handle = await open(file, "r");
  try {
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}
