// How lm-evaluation-harness v0.4 consumers read a results file, reimplemented: `make_table`
// (lm_eval/utils.py) with its hierarchy walk over group_subtasks, and what it would raise on in
// Python. Values are read with their Python types (./pythonTypes.ts): `f"{v:.4f}"` for a float,
// the value as is otherwise, and `f"{se:.4f}"` on a stderr that is not "N/A" — which raises
// TypeError for null (None), the failure issue 14 reported.

import { isPyNumber, type PyNumber, type PyValue } from "./pythonTypes.js";

type Dict = { [key: string]: PyValue };

function dict(v: PyValue | undefined, what: string): Dict {
  if (typeof v !== "object" || v === null || Array.isArray(v) || isPyNumber(v)) throw new Error(`KeyError/TypeError: ${what} is not a dict`);
  return v as Dict;
}

function format4(v: PyValue, what: string): string {
  if (!isPyNumber(v)) throw new Error(`TypeError: unsupported format string passed to ${v === null ? "NoneType" : typeof v}.__format__ (${what})`);
  return v.value.toFixed(4);
}

/** `_build_hierarchy_info`: depth per name and the display order. */
function hierarchy(groupSubtasks: Record<string, string[]>, available: Set<string>): { depth: Map<string, number>; ordered: string[] } {
  const depth = new Map<string, number>();
  const ordered: string[] = [];
  const visit = (name: string, d: number) => {
    depth.set(name, d);
    if (available.has(name)) ordered.push(name);
    for (const child of [...(groupSubtasks[name] ?? [])].sort()) visit(child, d + 1);
  };
  const children = new Set(Object.values(groupSubtasks).flat());
  for (const name of Object.keys(groupSubtasks).sort()) if (!children.has(name)) visit(name, 0);
  for (const key of [...available].sort()) if (!depth.has(key)) ordered.push(key);
  return { depth, ordered };
}

/** The rows `make_table(result_dict, column)` writes: [name, version, filter, n-shot, metric, hib, value, ±, stderr]. */
export function makeTable(result: PyValue, column: "results" | "groups" = "results"): string[][] {
  const doc = dict(result, "result_dict");
  const table = dict(doc[column], `result_dict["${column}"]`);
  const versions = dict(doc.versions, 'result_dict["versions"]');
  const nShot = dict(doc["n-shot"] ?? {}, "n-shot");
  const higher = dict(doc.higher_is_better ?? {}, "higher_is_better");
  const groupSubtasks = (doc.group_subtasks ?? {}) as unknown as Record<string, string[]>;
  const { depth, ordered } = hierarchy(groupSubtasks, new Set(Object.keys(table)));
  const rows: string[][] = [];
  const str = (v: PyValue | undefined): string => (v === undefined ? "" : isPyNumber(v) ? String(v.value) : typeof v === "string" ? v : JSON.stringify(v));
  for (const k of ordered) {
    const dic: Dict = { ...dict(table[k], `${column}[${k}]`) };
    let version = k in versions ? str(versions[k]) : "    N/A";
    const n = k in nShot ? str(nShot[k]) : " ";
    const hib = k in higher ? dict(higher[k], `higher_is_better[${k}]`) : {};
    let name = typeof dic.alias === "string" ? dic.alias : k;
    delete dic.alias;
    delete dic.name;
    delete dic.sample_len;
    delete dic.sample_count;
    const d = depth.get(k) ?? 0;
    if (d > 0) name = " ".repeat(d) + "- " + name;
    for (const mf of Object.keys(dic).sort()) {
      const comma = mf.indexOf(",");
      const [m, f] = comma < 0 ? [mf, ""] : [mf.slice(0, comma), mf.slice(comma + 1)];
      if (m.endsWith("_stderr")) continue;
      const h = hib[m];
      const arrow = h === true ? "↑" : h === false ? "↓" : "";
      const raw = dic[mf]!;
      const v = isPyNumber(raw) && raw.kind === "float" ? raw.value.toFixed(4) : str(raw);
      const seKey = `${m}_stderr,${f}`;
      if (seKey in dic) {
        const se = dic[seKey]!;
        rows.push([name, version, f, n, m, arrow, v, "±", se === "N/A" ? "   N/A" : format4(se, seKey)]);
      } else rows.push([name, version, f, n, m, arrow, v, "", ""]);
      name = "";
      version = "";
    }
  }
  return rows;
}

/** vLLM's and W&B's way: `results[task]["acc,none"]` as a float. */
export function accOf(result: PyValue, task: string, metric = "acc"): PyNumber {
  const v = dict(dict(dict(result, "result")["results"], "results")[task], task)[`${metric},none`];
  if (!isPyNumber(v) || v.kind !== "float") throw new Error(`results[${task}]["${metric},none"] is not a float`);
  return v;
}
