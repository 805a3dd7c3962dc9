"""SentencePiece's own ids for texts, as Hugging Face's slow tokenizer (LlamaTokenizer, legacy)
encodes them with add_special_tokens=False: the text is split on the model's control and
unknown pieces' texts (HF's special tokens; the longest at the leftmost position wins), each
stretch between is `SentencePieceProcessor.encode`d, a special text becomes its id.

stdin: {"model": "path/to/tokenizer.model", "texts": ["...", ...], "special": {"<EOD|LLM-jp>": 7}}
("special", optional: more special texts, as a tokenizer.json that renames the model's control
pieces declares them in its added_tokens)
stdout: [[ids...], ...]  (one list per text)

Needs Debian's python3-sentencepiece (run with /usr/bin/python3). An independent reference for
rakuten-eval's tests and bench: none of rakuten-eval's code is used here.
"""
import json
import sys

import sentencepiece as spm


def main():
    request = json.load(sys.stdin)
    sp = spm.SentencePieceProcessor(model_file=request["model"])
    special = {}
    for i in range(sp.get_piece_size()):
        if sp.is_control(i) or sp.is_unknown(i):
            special[sp.id_to_piece(i)] = i
    special.update(request.get("special", {}))
    specials = sorted((s for s in special if s), key=len, reverse=True)

    def encode(text):
        out = []
        start = 0
        while True:
            at, found = -1, ""
            for s in specials:
                i = text.find(s, start)
                if i >= 0 and (at < 0 or i < at):
                    at, found = i, s
            if at < 0:
                break
            if at > start:
                out.extend(sp.encode(text[start:at]))
            out.append(special[found])
            start = at + len(found)
        if start < len(text):
            out.extend(sp.encode(text[start:]))
        return out

    json.dump([encode(t) for t in request["texts"]], sys.stdout)


if __name__ == "__main__":
    main()
