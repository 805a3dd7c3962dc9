// JSON as Python's json.loads sees it: a number written with a "." or an exponent is a float,
// any other an int. JSON.parse cannot tell 1 from 1.0, and lm-eval's consumers can (make_table
// prints `f"{v:.4f}" if isinstance(v, float) else v`), so the tests read the text with this.

export type PyValue = null | boolean | string | PyNumber | PyValue[] | { [key: string]: PyValue };
export interface PyNumber {
  kind: "int" | "float";
  value: number;
}

export function isPyNumber(v: PyValue | undefined): v is PyNumber {
  return typeof v === "object" && v !== null && !Array.isArray(v) && (v as PyNumber).kind !== undefined && typeof (v as PyNumber).value === "number" && Object.keys(v).length === 2;
}

/** Parse JSON text keeping, for every number, whether Python reads it as an int or a float. */
export function parsePython(text: string): PyValue {
  let i = 0;
  const ws = () => {
    while (i < text.length && " \t\n\r".includes(text[i]!)) i++;
  };
  const value = (): PyValue => {
    ws();
    const c = text[i];
    if (c === "{") {
      i++;
      const out: Record<string, PyValue> = {};
      ws();
      if (text[i] === "}") {
        i++;
        return out;
      }
      for (;;) {
        ws();
        const key = value() as string;
        ws();
        if (text[i++] !== ":") throw new Error(`expected : at ${i}`);
        out[key] = value();
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "}") {
          i++;
          return out;
        } else throw new Error(`expected , or } at ${i}`);
      }
    }
    if (c === "[") {
      i++;
      const out: PyValue[] = [];
      ws();
      if (text[i] === "]") {
        i++;
        return out;
      }
      for (;;) {
        out.push(value());
        ws();
        if (text[i] === ",") i++;
        else if (text[i] === "]") {
          i++;
          return out;
        } else throw new Error(`expected , or ] at ${i}`);
      }
    }
    if (c === '"') {
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const s = JSON.parse(text.slice(i, j + 1)) as string;
      i = j + 1;
      return s;
    }
    for (const [word, v] of [["true", true], ["false", false], ["null", null], ["NaN", NaN], ["Infinity", Infinity]] as const) {
      if (text.startsWith(word, i)) {
        i += word.length;
        return typeof v === "number" ? { kind: "float", value: v } : v;
      }
    }
    const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i, i + 40));
    if (!m) throw new Error(`unexpected ${c} at ${i}`);
    i += m[0].length;
    return { kind: m[1] || m[2] ? "float" : "int", value: Number(m[0]) };
  };
  const v = value();
  ws();
  if (i !== text.length) throw new Error(`trailing text at ${i}`);
  return v;
}
