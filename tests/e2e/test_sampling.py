#!/usr/bin/python3
"""Sampling controls of `strata run`:
- temperature > 0 with a seed (per request, or --seed with --temperature flags) is reproducible:
  two runs give identical outputs;
- different seeds give different outputs (checked over several prompts at a high temperature,
  where the chance of all being equal is negligible);
- top_k 1, and top_p tiny, equal greedy; a request's temperature 0 overrides --temperature;
- stop strings: "stop": [s] with s a substring of the greedy text -> text is the greedy text cut
  before the first s, finish_reason "stop", token_ids a prefix of the greedy ids;
- max_tokens: completion_tokens <= max_tokens; finish_reason "length" (exactly max_tokens tokens,
  no eos) when the reference generates no eos, "stop" with eos last when it does.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker, OPTReference, make_model  # noqa: E402

PROMPTS = [
    "Once upon a time",
    "The quick brown fox",
    "I'm sure we're going to the market at 10:30",
    "What is the date?",
    "Hello",
]
MAX_NEW = 12


def run(ck, path, tmp, reqs, what, args=()):
    p, outs = common.run_requests(path, reqs, tmp, list(args) + ["--batch-size", 4])
    return outs if common.check_run_ok(ck, p, outs, reqs, what) else None


def ids_of(outs):
    return [o["token_ids"] for o in outs]


def main():
    ck = Checker("sampling")
    common.strata_bin()
    with common.tempdir("sampling") as tmp:
        path = make_model(tmp, "model", layers=2, hidden=64, heads=4, ffn=128, seed=41,
                          eos_scale=2.0)
        ref = OPTReference(path)

        def reqs(**fields):
            return [dict({"id": f"s{i}", "prompt": p, "max_tokens": MAX_NEW}, **fields)
                    for i, p in enumerate(PROMPTS)]

        print("greedy baseline")
        greedy = run(ck, path, tmp, reqs(), "greedy")
        if greedy is None:
            ck.finish()

        print("seeded sampling is reproducible")
        a = run(ck, path, tmp, reqs(temperature=1.5, seed=1234), "T=1.5 seed 1234, run 1")
        b = run(ck, path, tmp, reqs(temperature=1.5, seed=1234), "T=1.5 seed 1234, run 2")
        if a and b:
            ck.check(a == b, "same per-request seed: identical outputs",
                     f"{ids_of(a)}\n        {ids_of(b)}")
        c = run(ck, path, tmp, reqs(temperature=1.5, seed=99), "T=1.5 seed 99")
        if a and c:
            ck.check(ids_of(a) != ids_of(c), "different per-request seeds: different outputs")
        if a:
            ck.check(ids_of(a) != ids_of(greedy), "T=1.5 sampling differs from greedy")
        f1 = run(ck, path, tmp, reqs(), "--temperature 1.5 --seed 7, run 1",
                 ["--temperature", 1.5, "--seed", 7])
        f2 = run(ck, path, tmp, reqs(), "--temperature 1.5 --seed 7, run 2",
                 ["--temperature", 1.5, "--seed", 7])
        f3 = run(ck, path, tmp, reqs(), "--temperature 1.5 --seed 8",
                 ["--temperature", 1.5, "--seed", 8])
        if f1 and f2:
            ck.check(f1 == f2, "same --seed flag: identical outputs")
        if f1 and f3:
            ck.check(ids_of(f1) != ids_of(f3), "different --seed flags: different outputs")
        g = run(ck, path, tmp, reqs(temperature=0),
                "request temperature 0 over --temperature 1.5", ["--temperature", 1.5, "--seed", 7])
        if g:
            ck.check(ids_of(g) == ids_of(greedy),
                     "request temperature 0 overrides the flag: greedy")

        print("top_k 1 and tiny top_p are greedy")
        k1 = run(ck, path, tmp, reqs(temperature=1.5, top_k=1, seed=5), "top_k 1")
        if k1:
            ck.check(ids_of(k1) == ids_of(greedy), "top_k 1 equals greedy",
                     f"{ids_of(k1)}\n        {ids_of(greedy)}")
        k1f = run(ck, path, tmp, reqs(), "--top-k 1 flag",
                  ["--temperature", 1.5, "--top-k", 1, "--seed", 5])
        if k1f:
            ck.check(ids_of(k1f) == ids_of(greedy), "--top-k 1 flag equals greedy")
        p0 = run(ck, path, tmp, reqs(temperature=1.5, top_p=1e-6, seed=5), "top_p 1e-6")
        if p0:
            ck.check(ids_of(p0) == ids_of(greedy), "top_p 1e-6 (only the top token) equals greedy")

        print("stop strings")
        # s: 2 printable ASCII characters first occurring at k >= 1 of a greedy text, k as large
        # as possible; prefer texts whose part before s is valid UTF-8 (no U+FFFD), where the
        # expected truncation does not depend on how invalid byte sequences are rendered.
        case = None
        for clean in (True, False):
            for i, out in enumerate(greedy):
                t = out["text"]
                for k in range(1, len(t) - 1):
                    s = t[k:k + 2]
                    if (s.isascii() and s.isprintable() and t.find(s) == k and
                            (not clean or "\ufffd" not in t[:k])):
                        if case is None or k > case[3]:  # the most text before s
                            case = (i, s, clean, k)
            if case:
                break
        if case is None:
            ck.note("no greedy text has a 2-character ASCII substring; stop string check skipped")
        else:
            i, s, clean, _ = case
            full = greedy[i]
            want = full["text"][:full["text"].find(s)]
            print(f"  prompt {i}: greedy text {full['text']!r}, stop {s!r}" +
                  ("" if clean else " (U+FFFD ignored in the comparison)"))

            def strip(t):
                return t if clean else t.replace("\ufffd", "")

            r = [{"id": "stop", "prompt": PROMPTS[i], "max_tokens": MAX_NEW, "stop": [s]},
                 {"id": "stop2", "prompt": PROMPTS[i], "max_tokens": MAX_NEW,
                  "stop": ["\u2603 never \u2603", s]}]
            outs = run(ck, path, tmp, r, "stop string")
            if outs:
                for o in outs:
                    ck.check(strip(o["text"]) == strip(want),
                             f"{o['id']}: text truncated before {s!r}",
                             f"got {o['text']!r}, want {want!r}")
                    ck.check(o["finish_reason"] == "stop", f"{o['id']}: finish_reason stop",
                             f"got {o['finish_reason']!r}")
                    n = len(o["token_ids"])
                    ck.check(0 < n <= len(full["token_ids"]) and
                             o["token_ids"] == full["token_ids"][:n],
                             f"{o['id']}: token_ids a prefix of the greedy ids ({n} tokens)",
                             f"{o['token_ids']} vs {full['token_ids']}")
            nostop = [{"id": "nostop", "prompt": PROMPTS[i], "max_tokens": MAX_NEW,
                       "stop": ["\u2603 never \u2603"]}]
            outs = run(ck, path, tmp, nostop, "stop string that never occurs")
            if outs:
                ck.check(outs[0]["token_ids"] == full["token_ids"] and
                         outs[0]["text"] == full["text"],
                         "a stop string that never occurs changes nothing")

        print("max_tokens")
        for m in (1, 3, 7):
            r = [{"id": f"m{i}", "prompt": p, "max_tokens": m} for i, p in enumerate(PROMPTS)]
            outs = run(ck, path, tmp, r, f"max_tokens {m}")
            if not outs:
                continue
            for i, o in enumerate(outs):
                want = ref.generate(PROMPTS[i], m)
                what = f"max_tokens {m}, prompt {i}"
                ck.check(o["completion_tokens"] <= m, f"{what}: completion_tokens "
                         f"{o['completion_tokens']} <= {m}")
                if want["finish_reason"] == "length" and common.clear_of_ties(want):
                    ck.check(o["finish_reason"] == "length" and o["completion_tokens"] == m and
                             ref.eos not in o["token_ids"],
                             f"{what}: finish_reason length with exactly {m} tokens, no eos",
                             f"got {o}")
                elif want["finish_reason"] == "stop" and common.clear_of_ties(want):
                    ck.check(o["finish_reason"] == "stop" and o["token_ids"] and
                             o["token_ids"][-1] == ref.eos,
                             f"{what}: eos generated -> finish_reason stop, eos last", f"got {o}")
        flag = run(ck, path, tmp, [{"prompt": p} for p in PROMPTS], "--max-new-tokens 4",
                   ["--max-new-tokens", 4])
        if flag:
            ck.check(all(o["completion_tokens"] <= 4 for o in flag),
                     "--max-new-tokens 4 bounds every completion")
    ck.finish()


if __name__ == "__main__":
    main()
