// A small reader of Python literals (strings with escapes and implicit concatenation, ints,
// lists, dicts, True/False/None) for the data a source ships as a Python module (MGSM's
// exemplars.py). Only top-level `NAME = <literal>` statements are read; nothing is executed.

type Token = { kind: "string"; value: string } | { kind: "number"; value: number } | { kind: "name"; value: string } | { kind: "punct"; value: string };

/** Top-level `NAME = <literal>` statements of a Python module; other statements are skipped. */
export function readPythonAssignments(source: string): Map<string, unknown> {
  const tokens = tokenizePython(source);
  const out = new Map<string, unknown>();
  let i = 0;
  const peek = () => tokens[i];
  const next = () => {
    const t = tokens[i++];
    if (!t) throw new Error("unexpected end of file");
    return t;
  };
  const expect = (value: string) => {
    const t = next();
    if (t.kind !== "punct" || t.value !== value) throw new Error(`expected "${value}", found ${JSON.stringify(t.value)}`);
  };
  const literal = (): unknown => {
    const t = next();
    if (t.kind === "string") {
      let value = t.value;
      // Adjacent string literals concatenate.
      while (peek()?.kind === "string") value += (next() as { value: string }).value;
      return value;
    }
    if (t.kind === "number") return t.value;
    if (t.kind === "name") {
      if (t.value === "True") return true;
      if (t.value === "False") return false;
      if (t.value === "None") return null;
      throw new Error(`unsupported name ${t.value} in a literal`);
    }
    if (t.value === "-" && peek()?.kind === "number") return -(next() as { value: number }).value;
    if (t.value === "[" || t.value === "(") {
      const close = t.value === "[" ? "]" : ")";
      const items: unknown[] = [];
      while (!(peek()?.kind === "punct" && peek()!.value === close)) {
        items.push(literal());
        if (peek()?.kind === "punct" && peek()!.value === ",") next();
      }
      expect(close);
      return items;
    }
    if (t.value === "{") {
      const obj: Record<string, unknown> = {};
      while (!(peek()?.kind === "punct" && peek()!.value === "}")) {
        const key = literal();
        expect(":");
        obj[String(key)] = literal();
        if (peek()?.kind === "punct" && peek()!.value === ",") next();
      }
      expect("}");
      return obj;
    }
    throw new Error(`unexpected ${JSON.stringify(t.value)}`);
  };
  while (i < tokens.length) {
    const t = next();
    const after = peek();
    if (t.kind === "name" && after?.kind === "punct" && after.value === "=") {
      next();
      out.set(t.value, literal());
    } else if (t.kind === "string") {
      // A docstring or other bare expression: skip it.
    }
  }
  return out;
}

function tokenizePython(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === "#") {
      while (i < source.length && source[i] !== "\n") i++;
      continue;
    }
    if (/\s/.test(c) || c === "\\") {
      i++;
      continue;
    }
    const prefix = /^[rRuUbB]{0,2}(?=["'])/.exec(source.slice(i, i + 3));
    if (prefix && (source[i + prefix[0].length] === '"' || source[i + prefix[0].length] === "'")) {
      const raw = /r/i.test(prefix[0]);
      i += prefix[0].length;
      const quote = source[i]!;
      const triple = source.startsWith(quote.repeat(3), i);
      const delimiter = triple ? quote.repeat(3) : quote;
      i += delimiter.length;
      let value = "";
      for (;;) {
        if (i >= source.length) throw new Error("unterminated string");
        if (source.startsWith(delimiter, i)) {
          i += delimiter.length;
          break;
        }
        const ch = source[i]!;
        if (ch === "\n" && !triple) throw new Error("newline in a string");
        if (ch === "\\" && !raw) {
          const [text, length] = pythonEscape(source, i);
          value += text;
          i += length;
          continue;
        }
        value += ch;
        i++;
      }
      tokens.push({ kind: "string", value });
      continue;
    }
    const number = /^\d+(?:\.\d+)?/.exec(source.slice(i, i + 40));
    if (number) {
      tokens.push({ kind: "number", value: Number(number[0]) });
      i += number[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(source.slice(i, i + 200));
    if (name) {
      tokens.push({ kind: "name", value: name[0] });
      i += name[0].length;
      continue;
    }
    tokens.push({ kind: "punct", value: c });
    i++;
  }
  return tokens;
}

/** One backslash escape of a (non-raw) Python str literal at `source[at]`: its text and length. */
function pythonEscape(source: string, at: number): [string, number] {
  const e = source[at + 1];
  const simple: Record<string, string> = { n: "\n", t: "\t", r: "\r", "\\": "\\", "'": "'", '"': '"', a: "\x07", b: "\b", f: "\f", v: "\v", "0": "\0", "\n": "" };
  if (e === "u" || e === "x" || e === "U") {
    const length = e === "x" ? 2 : e === "u" ? 4 : 8;
    const hex = source.slice(at + 2, at + 2 + length);
    if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== length) throw new Error(`bad \\${e} escape`);
    return [String.fromCodePoint(parseInt(hex, 16)), 2 + length];
  }
  if (e !== undefined && e in simple) return [simple[e]!, 2];
  // Python keeps unknown escapes as written.
  return [`\\${e ?? ""}`, 2];
}
