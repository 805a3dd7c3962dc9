// "Did you mean published:rakutenai-7b": a baseline or run given as a path that does not exist
// but reads like one of the paper's published models (`--baseline paper`, `rakutenai-7b`).

import { publishedTables } from "../paper/published.js";
import { PUBLISHED_ALIASES } from "../paper/suites.js";
import { nearest } from "../util/nearest.js";

/**
 * The `published:` reference a missing path was probably meant to be: a model id or alias
 * without the prefix (`rakutenai-7b`), a near miss of the prefix (`published-rakutenai-7b`,
 * `publish:…`) or of an id, or a bare word for the paper (`paper`, `published`, `rakuten`).
 */
export function publishedRefMeant(ref: string): string | null {
  const ids = [...publishedTables().models.map((m) => m.id), ...Object.keys(PUBLISHED_ALIASES)];
  const rest = ref.trim().replace(/^publi\w*\s*[:=_-]\s*/i, "");
  if (rest === "") return "published:rakutenai-7b";
  const id = nearest(rest, ids);
  if (id) return `published:${id}`;
  if (/^(the[-_ ]?)?(paper|published|publication|rakuten|rakutenai|reference)s?$/i.test(rest)) return "published:rakutenai-7b";
  return null;
}
