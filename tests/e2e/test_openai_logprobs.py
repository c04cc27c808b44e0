#!/usr/bin/python3
"""OpenAI logprobs (issue 16 point 5) against the float64 reference (tests/reference/
opt_reference.py, no KV cache), on a small random OPT model:
- /v1/completions with logprobs 5 and chat with logprobs true and top_logprobs 20, greedy: each
  reported token is the reference's greedy token (its string; in chat also its bytes), its
  logprob equals the reference's float64 log-softmax within 1e-3, and its top logprobs are the
  reference's most likely tokens with their logprobs, sorted, the chosen token among them with
  its own logprob; a divergence is accepted only at a near tie of the reference (TIE_MARGIN);
- sampled (temperature 1.5, top_k 5, penalties): the logprobs are those of the raw logits along
  the sampled path (not of logits / temperature, nor penalized), and a chosen token outside the
  top k is reported all the same (completions: up to k + 1 entries);
- logprobs 0 (completions): the chosen token alone; chat without top_logprobs: [] each; n 2:
  one entry per completion token over the choices; text_offset advances by each token's
  characters; the bytes of a chat answer's tokens make its text;
- every line matches test_openai_schema.py's schema (openai-python's types);
- weights and KV cache on the host, in micro-batches of 2: the same tokens and logprobs (1e-4);
- an out-of-range or mistyped logprobs / top_logprobs gives an error line (invalid_request)
  naming the field, for that request only.
"""

import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
import test_openai_schema as schema  # noqa: E402
from common import Checker, make_model  # noqa: E402
from test_openai_schema import chat, completion  # noqa: E402

TOLERANCE = 1e-3
P1 = "Once upon a time"
P2 = "Numbers like 3.14159 and 2.71828 and"
SAMPLED = dict(temperature=1.5, top_k=5, seed=11, presence_penalty=1.5, frequency_penalty=2.0)

GOOD = [
    completion("c-greedy-1", P1, max_tokens=12, logprobs=5),
    completion("c-greedy-2", P2, max_tokens=12, logprobs=5),
    chat("chat-greedy", P1, max_tokens=12, logprobs=True, top_logprobs=20),
    chat("chat-no-top", P2, max_tokens=6, logprobs=True),
    completion("c-zero", P2, max_tokens=6, logprobs=0),
    completion("c-sampled", P2, max_tokens=16, logprobs=1, **SAMPLED),
    chat("chat-sampled", P1, max_tokens=16, logprobs=True, top_logprobs=2, **SAMPLED),
    chat("chat-n2", P2, max_tokens=8, logprobs=True, top_logprobs=1, n=2, temperature=1.0,
         seed=3),
    completion("c-plain", P1, max_tokens=12),
]
# (request, the field its error line names)
BAD = [
    (completion("bad-c6", P1, logprobs=6), "logprobs"),
    (completion("bad-cneg", P1, logprobs=-1), "logprobs"),
    (completion("bad-ctrue", P1, logprobs=True), "logprobs"),
    (chat("bad-top21", P1, logprobs=True, top_logprobs=21), "top_logprobs"),
    (chat("bad-top-alone", P1, top_logprobs=2), "top_logprobs"),
    (chat("bad-lp-int", P1, logprobs=1), "logprobs"),
]


def log_softmax(rows):
    m = rows.max(axis=-1, keepdims=True)
    return rows - (m + np.log(np.exp(rows - m).sum(axis=-1, keepdims=True)))


class Ref:
    def __init__(self, model):
        # The fp32 cache (--cache-dtype f32 below) keeps the 1e-3 tolerance about the logprobs
        # themselves, not about the half cache's rounding (tests/reference/kv_cache_rounding.py).
        self.opt = common.OPTReference(model, kv_dtype="f32")
        self.tok = common.GPT2Tokenizer.from_model_dir(model)
        self.vocab = self.opt.forward(np.array([[self.opt.bos]])).shape[-1]
        self.bytes = [self.tok.decode_bytes([i], skip_special=False) for i in range(self.vocab)]
        self.by_bytes = {}
        for i, b in enumerate(self.bytes):
            self.by_bytes.setdefault(b, []).append(i)

    def text(self, i):
        return self.bytes[i].decode("utf-8", errors="replace")

    def logprobs(self, prompt_ids, ids):
        """float64 log-softmax [len(ids), vocab] of each step generating ids after prompt_ids."""
        full = list(prompt_ids) + list(ids)
        logits = self.opt.forward(np.array([full]))[0]
        return log_softmax(logits[len(prompt_ids) - 1:len(full) - 1])


def chat_prompt(content):
    return "User: " + content + "\nAssistant:"  # Strata's plain template (no chat template)


def body(line):
    return line["response"]["body"]


def check_top(ck, what, got, ref, row, k, chosen=None):
    """got: [(token string or bytes, logprob)] as reported, best first; row: the reference's
    log-softmax. The values are the reference's k best, sorted; each token is the reference's
    at its rank unless that rank is a near tie. With `chosen` (completions): that token joins
    them at its rank, and tokens with the same string appear once, the most likely (a dict)."""
    ranked = list(np.argsort(-row, kind="stable")[:k])
    if chosen is not None and chosen not in ranked:
        ranked.append(chosen)
    want, seen = [], set()
    for i in ranked:
        name = ref.text(i) if chosen is not None or not isinstance(got[0][0], bytes) else ref.bytes[i]
        if chosen is None or name not in seen:
            want.append((i, name))
            seen.add(name)
    values = [lp for _, lp in got]
    problems = []
    if len(got) != len(want):
        problems.append(f"{len(got)} entries, want {len(want)}: {got} vs {want}")
    elif values != sorted(values, reverse=True):
        problems.append(f"not sorted: {values}")
    else:
        for j, ((token, lp), (i, name)) in enumerate(zip(got, want)):
            if abs(lp - row[i]) > TOLERANCE:
                problems.append(f"rank {j}: logprob {lp} vs reference {row[i]:.6f}")
            near = min([abs(row[i] - row[o]) for o, _ in want if o != i] + [1.0])
            if token != name and near >= common.TIE_MARGIN:
                problems.append(f"rank {j}: token {token!r} vs reference {name!r}")
    ck.check(not problems, f"{what}: top {k} logprobs are the reference's, sorted",
             "; ".join(problems[:4]))


def greedy_steps(ck, ref, what, prompt_ids, got_tokens):
    """The reference's greedy path compared with the reported tokens (strings or bytes): the
    steps that can be compared (the reference's ids and log-softmax rows), or None on failure."""
    ids, margins, _ = ref.opt.greedy(prompt_ids, len(got_tokens))
    for i, token in enumerate(got_tokens):
        if i >= len(ids):
            ck.check(False, f"{what}: {len(got_tokens)} tokens, the reference {len(ids)}")
            return None
        name = ref.bytes[ids[i]] if isinstance(token, bytes) else ref.text(ids[i])
        if token != name:
            if margins[i] < common.TIE_MARGIN:
                ck.note(f"{what}: step {i} differs at a near tie; compared {i} steps")
                ids = ids[:i]
                break
            ck.check(False, f"{what}: tokens are the reference's greedy tokens",
                     f"step {i}: {token!r} vs {name!r}")
            return None
    ids = ids[:len(got_tokens)]
    ck.check(len(ids) > 0, f"{what}: {len(ids)} greedy tokens are the reference's")
    return ids, ref.logprobs(prompt_ids, ids)


def check_completion_greedy(ck, ref, line, prompt, k):
    what = line["custom_id"]
    choice = body(line)["choices"][0]
    lp = choice["logprobs"]
    steps = greedy_steps(ck, ref, what, ref.opt.prompt_ids(prompt), lp["tokens"])
    if steps is None:
        return
    ids, rows = steps
    bad = [i for i, t in enumerate(ids) if abs(lp["token_logprobs"][i] - rows[i][t]) > TOLERANCE]
    ck.check(not bad, f"{what}: token_logprobs equal the reference log-softmax within "
             f"{TOLERANCE}", f"steps {bad}: {[lp['token_logprobs'][i] for i in bad]} vs "
             f"{[rows[i][ids[i]] for i in bad]}")
    for i in range(len(ids)):
        top = list(lp["top_logprobs"][i].items())
        check_top(ck, f"{what} step {i}", top, ref, rows[i], k, chosen=ids[i])
        ck.check(top[0] == (lp["tokens"][i], lp["token_logprobs"][i]),
                 f"{what} step {i}: the greedy token is the most likely, with its logprob")
    check_offsets(ck, what, lp)


def check_offsets(ck, what, lp):
    offsets, tokens = lp["text_offset"], lp["tokens"]
    want = [sum(len(t) for t in tokens[:i]) for i in range(len(tokens))]
    ck.check(offsets == want and len(lp["token_logprobs"]) == len(tokens) ==
             len(lp["top_logprobs"]),
             f"{what}: text_offset from 0 by each token's characters; lists of one length",
             f"{offsets} vs {want}")


def check_chat_greedy(ck, ref, line, content, k):
    what = line["custom_id"]
    choice = body(line)["choices"][0]
    entries = choice["logprobs"]["content"]
    prompt_ids = ref.opt.prompt_ids(chat_prompt(content))
    ck.check(body(line)["usage"]["prompt_tokens"] == len(prompt_ids),
             f"{what}: the reference's chat prompt is the one Strata ran")
    steps = greedy_steps(ck, ref, what, prompt_ids, [bytes(e["bytes"]) for e in entries])
    if steps is None:
        return
    ids, rows = steps
    bad = [i for i, t in enumerate(ids) if abs(entries[i]["logprob"] - rows[i][t]) > TOLERANCE]
    ck.check(not bad, f"{what}: logprobs equal the reference log-softmax within {TOLERANCE}",
             str(bad))
    ck.check(all(e["token"] == bytes(e["bytes"]).decode("utf-8", errors="replace")
                 for e in entries), f"{what}: token is its bytes as UTF-8 (U+FFFD for a part)")
    for i in range(len(ids)):
        top = [(bytes(t["bytes"]), t["logprob"]) for t in entries[i]["top_logprobs"]]
        check_top(ck, f"{what} step {i}", top, ref, rows[i], k)
        ck.check(top[0] == (bytes(entries[i]["bytes"]), entries[i]["logprob"]),
                 f"{what} step {i}: the greedy token is the most likely, with its logprob")
    eos = ref.bytes[ref.opt.eos]
    raw = [bytes(e["bytes"]) for e in entries]
    if choice["finish_reason"] == "stop" and raw and raw[-1] == eos:
        raw = raw[:-1]
    ck.check(b"".join(raw).decode("utf-8", errors="replace") == choice["message"]["content"],
             f"{what}: the tokens' bytes make the answer's text")


def sampled_ids(ck, ref, what, token_bytes):
    """The ids of sampled tokens from their bytes (each token's bytes are its own here)."""
    ids = []
    for b in token_bytes:
        found = ref.by_bytes.get(b, [])
        if not ck.check(len(found) == 1, f"{what}: token bytes {b!r} name one token", str(found)):
            return None
        ids.append(found[0])
    return ids


def check_sampled(ck, ref, lines):
    what = "chat-sampled"
    entries = body(lines[what])["choices"][0]["logprobs"]["content"]
    ids = sampled_ids(ck, ref, what, [bytes(e["bytes"]) for e in entries])
    if ids is None:
        return
    rows = ref.logprobs(ref.opt.prompt_ids(chat_prompt(P1)), ids)
    got = np.array([e["logprob"] for e in entries])
    want = np.array([rows[i][t] for i, t in enumerate(ids)])
    ck.check(np.abs(got - want).max() <= TOLERANCE,
             f"{what}: logprobs are the raw log-softmax along the sampled path",
             f"max error {np.abs(got - want).max():.3g}")
    tempered = np.array([log_softmax(r / SAMPLED["temperature"])[t] for r, t in zip(rows, ids)])
    ck.check(np.abs(tempered - want).max() > 10 * TOLERANCE,
             f"{what}: (the tempered log-softmax would differ: the check can fail)")
    outside = [i for i, e in enumerate(entries) if all(t["bytes"] != e["bytes"]
                                                       for t in e["top_logprobs"])]
    ck.check(outside, f"{what}: some chosen tokens lie outside the top 2 ({len(outside)} of "
             f"{len(entries)}), reported with their logprob")
    for i in range(len(ids)):
        check_top(ck, f"{what} step {i}", [(bytes(t["bytes"]), t["logprob"])
                                           for t in entries[i]["top_logprobs"]], ref, rows[i], 2)

    what = "c-sampled"
    lp = body(lines[what])["choices"][0]["logprobs"]
    problems, wider = [], 0
    for i, (token, value, top) in enumerate(zip(lp["tokens"], lp["token_logprobs"],
                                                lp["top_logprobs"])):
        values = list(top.values())
        # The chosen token's string is a key; its value is the chosen token's logprob, or a more
        # likely token's with the same string (tokens holding part of a character: U+FFFD).
        if (top.get(token, -1e9) < value or values != sorted(values, reverse=True) or
                len(top) > 2):
            problems.append(f"step {i}: {token!r} {value} in {top}")
        if value < values[0] and top.get(token) == value:
            wider += 1
    ck.check(not problems, f"{what}: each top_logprobs holds the chosen token, at most k + 1 "
             "entries, sorted", "; ".join(problems[:3]))
    ck.check(wider > 0, f"{what}: some steps report the top 1 and a chosen token outside it "
             f"with its logprob ({wider} of {len(lp['tokens'])})")
    check_offsets(ck, what, lp)


def check_others(ck, lines):
    lp = body(lines["c-zero"])["choices"][0]["logprobs"]
    ck.check(all(list(top) == [t] and top[t] == v for t, v, top in
                 zip(lp["tokens"], lp["token_logprobs"], lp["top_logprobs"])),
             "logprobs 0: each top_logprobs is the chosen token alone")
    entries = body(lines["chat-no-top"])["choices"][0]["logprobs"]["content"]
    ck.check(entries and all(e["top_logprobs"] == [] for e in entries),
             "chat, logprobs without top_logprobs: top_logprobs [] for each token")
    b = body(lines["chat-n2"])
    ck.check(len(b["choices"]) == 2 and
             sum(len(c["logprobs"]["content"]) for c in b["choices"]) ==
             b["usage"]["completion_tokens"] and
             all(len(e["top_logprobs"]) == 1 for c in b["choices"] for e in c["logprobs"]["content"]),
             "n 2: each choice's logprobs, one entry per completion token")
    ck.check(body(lines["c-plain"])["choices"][0]["logprobs"] is None,
             "not asked for: logprobs null")
    all_bytes = [x for line in lines.values() if line.get("response")
                 for c in body(line)["choices"] if c.get("message") and c["logprobs"]
                 for e in c["logprobs"]["content"] for x in e["bytes"]]
    ck.check(all(0 <= x <= 255 for x in all_bytes), "bytes are byte values")


def flat_logprobs(line):
    """(token, logprob) of every reported token and top entry of a line, in order."""
    out = []
    for c in body(line)["choices"]:
        lp = c["logprobs"] or {}
        for e in lp.get("content") or []:
            out += [(e["token"], e["logprob"])] + [(t["token"], t["logprob"])
                                                    for t in e["top_logprobs"]]
        for token, value, top in zip(lp.get("tokens", []), lp.get("token_logprobs", []),
                                     lp.get("top_logprobs", [])):
            out += [(token, value)] + list(top.items())
    return out


def check_offloaded(ck, model, tmp, inp, lines):
    out = os.path.join(tmp, "offloaded.jsonl")
    offload = os.path.join(tmp, "offload")
    os.makedirs(offload, exist_ok=True)
    p = common.run_strata(["run", "--model", model, "--input", inp, "--output", out, "--quiet",
                           "--offload-dir", offload, "--percent", 0, 100, 0, 100, 100, 0,
                           "--gpu-batch-size", 2, "--num-gpu-batches", 2,
                           "--cache-dtype", "f32"])
    if not ck.check(p.returncode == 3, "offloaded run", common.describe(p)):
        return
    problems = []
    for line in common.read_jsonl(out):
        if not line.get("response"):
            continue
        want, got = flat_logprobs(lines[line["custom_id"]]), flat_logprobs(line)
        if len(got) != len(want) or any(a[0] != b[0] or abs(a[1] - b[1]) > 1e-4
                                         for a, b in zip(got, want)):
            problems.append(line["custom_id"])
    ck.check(not problems, "weights and cache on the host, micro-batches of 2: the same tokens "
             "and logprobs as all on the device", str(problems))


def main():
    ck = Checker("openai logprobs")
    common.strata_bin()
    with common.tempdir("openai-logprobs") as tmp:
        model = make_model(tmp, "model", layers=2, hidden=64, heads=4, ffn=128, seed=7,
                           max_positions=256)
        requests = GOOD[:4] + [r for r, _ in BAD] + GOOD[4:]
        inp, out = os.path.join(tmp, "in.jsonl"), os.path.join(tmp, "out.jsonl")
        common.write_jsonl(inp, requests)
        p = common.run_strata(["run", "--model", model, "--input", inp, "--output", out,
                               "--batch-size", 4, "--quiet", "--cache-dtype", "f32"])
        if not ck.check(p.returncode == 3, "the job runs (exit 3: it has error lines)",
                        common.describe(p)):
            ck.finish()
        outs = common.read_jsonl(out)
        schema.check_schema(ck, outs, requests, "logprobs job")
        lines = {line["custom_id"]: line for line in outs}

        print("out-of-range values: an error line for that request only")
        for r, field in BAD:
            line = lines[r["custom_id"]]
            err = line.get("error") or {}
            ck.check(line.get("response") is None and err.get("code") == "invalid_request" and
                     f"'body.{field}'" in err.get("message", "") and
                     "\n" not in err.get("message", ""),
                     f"{r['custom_id']}: error line naming body.{field}", str(line)[:300])
        ok = [r["custom_id"] for r in GOOD]
        ck.check(all(lines[c].get("response") for c in ok), "every other request succeeds")
        if not all(lines[c].get("response") for c in ok):
            ck.finish()

        ref = Ref(model)
        print("greedy: the float64 reference")
        check_completion_greedy(ck, ref, lines["c-greedy-1"], P1, 5)
        check_completion_greedy(ck, ref, lines["c-greedy-2"], P2, 5)
        check_chat_greedy(ck, ref, lines["chat-greedy"], P1, 20)
        print("sampled: raw logits along the sampled path")
        check_sampled(ck, ref, lines)
        print("the other shapes")
        check_others(ck, lines)
        print("offloaded: the same logprobs")
        check_offloaded(ck, model, tmp, inp, lines)
    ck.finish()


if __name__ == "__main__":
    main()
