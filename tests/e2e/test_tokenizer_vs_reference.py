#!/usr/bin/python3
"""`strata tokenize --model DIR --text TEXT` prints the same ids (bos first, as a JSON array on
one line) as the independent Python GPT-2 byte-level BPE tokenizer (tests/reference), on strings
that exercise the pre-tokenizer regex, byte fallback for unicode, merges and special tokens.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker, GPT2Tokenizer, make_model  # noqa: E402

TEXTS = [
    "Hello world",
    "The quick brown fox jumps over the lazy dog.",
    "",
    " ",
    "a",
    " leading space",
    "trailing space ",
    "two  spaces   three    four",
    "line one\nline two\n\nline four\n",
    "tabs\tand\r\nCRLF",
    "   \n  \n",
    "I'm, you're, he's, we've, they'll, she'd, don't, can't",
    "DON'T I'M WE'LL",  # the contraction alternatives are case-sensitive
    "'s 't 're 've 'm 'll 'd",
    "rock'n'roll o'clock",
    "2023 4,512 3.14159 100% $12.99 555-0199 1st 2nd 3rd",
    "1234567890 0.000001 -42 +7 1e10",
    "Hello!!! What?! (yes) [no] {maybe} <tag> a/b\\c @user #hash ~tilde `code` ^caret",
    "...---... ,,, ;;; :::",
    "café naïve résumé jalapeño façade Zürich São Paulo Kraków",
    "Ünïcödé ÀÉÎÕÜ ßøåæ",
    "日本語のテキスト 中文文本 한국어",
    "emoji 😀 🎉🎉 👍🏽 👨‍👩‍👧 🇫🇷",
    "Ελληνικά кириллица עברית العربية",
    "math ∑∫√∞ ≠ ≤ ≥ → ← ↔",
    "zero\u200bwidth non\u00a0breaking",
    "</s>",
    "<s>",
    "text with </s> inside",
    "a</s>b</s></s>c",
    "<pad> and <unk> too",
    "not special: < /s> <s > </S> <\\s>",
    "The cat liked the sun, the sun liked the cat, and the two of them were the best of friends.",
    "x" * 200,
    "ab " * 60,
]


def main():
    ck = Checker("tokenizer vs reference")
    common.strata_bin()
    with common.tempdir("tokenize") as tmp:
        path = make_model(tmp, "model", layers=1, hidden=32, heads=4, ffn=64, seed=31,
                          vocab_merges=120)
        tok = GPT2Tokenizer.from_model_dir(path)
        bos = 2
        for text in TEXTS:
            want = [bos] + tok.encode(text)
            p = common.run_strata(["tokenize", "--model", path, "--text", text])
            what = f"tokenize {text[:40]!r}" + ("..." if len(text) > 40 else "")
            if not ck.check(p.returncode == 0, f"{what}: exit 0", common.describe(p)):
                continue
            lines = [line for line in p.stdout.split("\n") if line.strip()]
            try:
                got = json.loads(lines[0]) if len(lines) == 1 else None
            except ValueError:
                got = None
            if not ck.check(isinstance(got, list), f"{what}: one JSON array on stdout",
                            f"stdout {p.stdout!r}"):
                continue
            detail = ""
            if got != want:
                k = next((i for i in range(min(len(got), len(want))) if got[i] != want[i]),
                         min(len(got), len(want)))
                show = [tok.id_to_token.get(i, "?") for i in want[k:k + 5]]
                detail = f"got {got}\n        want {want}\n        first difference at {k}: " \
                         f"reference tokens there {show}"
            ck.check(got == want, f"{what}: {len(want)} ids equal the reference", detail)
            if got == want:
                ck.check(tok.decode(want[1:], skip_special=False) == text,
                         f"{what}: reference round-trips")
    ck.finish()


if __name__ == "__main__":
    main()
