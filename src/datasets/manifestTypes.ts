// The shape of a dataset manifest in `datasets/<id>.json`.
// A manifest pins where each file comes from and what it must contain, so that a
// changed or truncated file is caught before any model call.

/** How the bytes of a split file become records (one record per doc, in dataset order). */
export type RecordFormat =
  /** One JSON object per non-empty line (JGLUE JCommonsenseQA/JNLI/MARC-ja, ARC, XL-Sum, xWinograd). */
  | "jsonl"
  /** SQuAD-style nested JSON flattened to one record per question, articles → paragraphs → qas in file order (JSQuAD). */
  | "squad_nested"
  /** A JSON array of records (TruthfulQA `mc_task.json`). */
  | "json_array"
  /** Tab-separated `question<TAB>answer`, no header (MGSM). */
  | "tsv_question_answer"
  /** Hendrycks MMLU CSV: no header, `question,A,B,C,D,answer`, the literal string `None` kept. */
  | "mmlu_csv"
  /**
   * AIO2 DPR retrieval output (JAQKET v2 `{train,dev}_jaqket_59.350.json`): one JSON array of
   * `{qid, question, answers:[string], ctxs:[{id,title,text,score,has_answer}]}`. Parsed as the
   * HF loader kumapo/JAQKET v2.0 does: top-5 ctxs kept, questions without a `has_answer` among
   * them dropped, so `records` counts the questions left (1164 validation, 2154 train).
   */
  | "jaqket_dpr";

export interface SplitFile {
  /** Path relative to the data directory, `/`-separated. */
  path: string;
  format: RecordFormat;
  /** For `squad_nested` files whose top-level key is not `data` (a subset stored under `train`). */
  topLevelKey?: string;
  /** sha256 of the file bytes; null where no copy has been seen to pin. */
  sha256: string | null;
  /** Git blob id (sha1 of `blob <len>\0<bytes>`), where the upstream repository names it. */
  gitBlobSha1?: string;
  /** Records the official split has (for `jaqket_dpr`, after the loader's filter). */
  records: number;
  /** File size in bytes, where known: lets a status check spot a different version without hashing. */
  bytes?: number;
  /** Where `datasets pull` fetches this file from (absent: the file can only be supplied by hand). */
  download?: DownloadSpec;
}

export interface PartialSplitFile extends SplitFile {
  /** Why this stand-in exists and how it differs from the official split. */
  note: string;
  /** Records of the official split it stands in for. */
  officialRecords: number;
  /**
   * The stand-in holds docs of the eval split. Shots are then drawn as the reference does for a
   * task without training docs: `rnd.sample(pool, k + 1)` minus the evaluated doc, first k.
   */
  overlapsEval?: boolean;
}

export interface SplitEntry extends SplitFile {
  /** Known stand-ins used only when the official file is absent; results say so. */
  partial?: PartialSplitFile[];
}

export interface DatasetManifest {
  id: string;
  title: string;
  license: string;
  /** Where the files come from: repository or hub id, pinned revision, URL. */
  source: { name: string; revision: string; url: string; notes?: string };
  splits: Record<string, SplitEntry>;
}

/**
 * Where `datasets pull` fetches a split file from (optional: a manifest without it can only be
 * filled by hand). The bytes fetched become the manifest file either as they are or through
 * `convert`; either way the result is checked against the split's sha256 / git blob id / record
 * count before it is moved into place.
 */
export interface DownloadSpec {
  /** `url`: a plain HTTPS URL (any host; redirectable with RAKUTEN_EVAL_SOURCE_MIRROR). `hf`: a Hugging Face dataset repo file (redirectable with HF_ENDPOINT). */
  kind: "url" | "hf";
  /** For `url`: the file's address at its pinned revision. */
  url?: string;
  /** For `hf`: the dataset repo id, e.g. `allenai/ai2_arc`. */
  repo?: string;
  /** For `hf`: a commit id, tag or ref (e.g. `refs/convert/parquet`). */
  revision?: string;
  /** For `hf`: the file's path in the repo. */
  file?: string;
  /** How the fetched bytes become the manifest file; absent: used as they are. */
  convert?: ConvertSpec;
  /** The path or revision could not be confirmed against the source when the pin was written. */
  unverified?: boolean;
  /** Why this source was chosen, or what the conversion reproduces. */
  note?: string;
}

export type ConvertSpec =
  /** One member of an uncompressed (ustar/GNU) tar archive, bytes unchanged. */
  | { kind: "tar-member"; member: string }
  /** Parquet rows to JSON lines: `rows` names the row mapping (see src/datasets/parquetJsonl.ts). */
  | { kind: "parquet-jsonl"; rows: "marc_ja" | "arc" | "plain" }
  /** yandex-research crosslingual_winograd dataset.tsv to Stability's `{sentence1, sentence2, answer}` lines for one language. */
  | { kind: "xwinograd-yandex"; language: string }
  /** google-research url-nlp mgsm/exemplars.py to the HF juletxara/mgsm train lines for one language. */
  | { kind: "mgsm-exemplars"; language: string };
