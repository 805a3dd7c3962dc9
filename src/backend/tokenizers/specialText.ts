// Special-token text inside ordinary text, split out as Hugging Face tokenizers do before
// encoding: the longest special text that starts at the leftmost position wins, and the text
// between is encoded on its own (so a SentencePiece tokenizer puts its dummy prefix in front
// of each stretch). The whitespace around a special token is kept, as HF does for tokens
// added with lstrip/rstrip false (Llama's and llm-jp's).

export class SpecialTextSplitter {
  private readonly texts: string[];

  constructor(private readonly ids: ReadonlyMap<string, number>) {
    this.texts = [...ids.keys()].filter((t) => t !== "").sort((a, b) => b.length - a.length);
  }

  /** Stretches of text, and special tokens as their ids, in order. */
  split(text: string): Array<string | number> {
    if (this.texts.length === 0) return [text];
    const out: Array<string | number> = [];
    let from = 0;
    for (;;) {
      let at = -1;
      let found = "";
      for (const special of this.texts) {
        const index = text.indexOf(special, from);
        if (index >= 0 && (at < 0 || index < at)) {
          at = index;
          found = special;
        }
      }
      if (at < 0) break;
      if (at > from) out.push(text.slice(from, at));
      out.push(this.ids.get(found)!);
      from = at + found.length;
    }
    if (from < text.length) out.push(text.slice(from));
    return out;
  }
}
