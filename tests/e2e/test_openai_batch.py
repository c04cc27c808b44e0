#!/usr/bin/python3
"""OpenAI Batch API format of `strata run`: input lines {custom_id, method, url, body} for
/v1/completions (prompt) and /v1/chat/completions (messages) give output lines {id, custom_id,
response {status_code 200, request_id, body {object, model, choices, usage}}, error null}, one per
input line, in input order.
- Each completion's text, finish reason and token counts equal those of the same prompt run as a
  native Strata request; for chat, the prompt is the documented chat template (system text, a
  blank line, "User: ..." / "Assistant: ..." lines, then "Assistant:"), built here independently
  and tokenized by the independent Python tokenizer to check usage.prompt_tokens.
- A bad line (bad JSON, missing body, unknown url, wrong types, unknown role, a native line in an
  OpenAI file), also as the very first line, gives an error line for its custom_id (or line-N
  when there is none) naming the field; every other line succeeds.
- --strict: the same file fails the job with one error line, exit 2, no output and no journal.
"""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker, make_model  # noqa: E402


def completion(cid, prompt, **body):
    return {"custom_id": cid, "method": "POST", "url": "/v1/completions",
            "body": dict({"model": "tiny", "prompt": prompt}, **body)}


def chat(cid, messages, **body):
    return {"custom_id": cid, "method": "POST", "url": "/v1/chat/completions",
            "body": dict({"model": "tiny", "messages": messages}, **body)}


def chat_template(messages):
    """The template of cli/job/openai_batch.h, written from its documentation."""
    out = ""
    for m in messages:
        c = m["content"]
        text = c if isinstance(c, str) else "".join(p["text"] for p in c)
        if m["role"] in ("system", "developer"):
            out += text + "\n\n"
        elif m["role"] == "user":
            out += "User: " + text + "\n"
        else:
            out += "Assistant: " + text + "\n"
    return out + "Assistant:"


# (line, None for a good line or (custom_id in the error line, text the error must name))
LINES = [
    ('{"custom_id": "bad-first", "method": "POST", "url": "/v1/embeddings", "body": {"input": "x"}}',
     ("bad-first", "url")),
    (completion("c1", "Once upon a time", max_tokens=12), None),
    (chat("ch1", [{"role": "system", "content": "You are terse."},
                  {"role": "user", "content": "Say something about the river."}],
          max_tokens=10), None),
    ('{"custom_id": "bad-json", "method": "POST", "url": "/v1/completions", "body": {"prompt": "x"',
     ("line-4", "malformed JSON")),
    ({"custom_id": "no-body", "method": "POST", "url": "/v1/completions"}, ("no-body", "body")),
    (completion("c2", "The quick brown fox", max_tokens=8, temperature=0.9, seed=5, top_k=20),
     None),
    (completion("bad-type", "hello", max_tokens="ten"), ("bad-type", "max_tokens")),
    ({"custom_id": "bad-prompt", "method": "POST", "url": "/v1/completions",
      "body": {"prompt": 5}}, ("bad-prompt", "prompt")),
    (chat("ch2", [{"role": "user", "content": [{"type": "text", "text": "Hello "},
                                               {"type": "text", "text": "there"}]},
                  {"role": "assistant", "content": "Hi."},
                  {"role": "user", "content": "Tell me a story"}],
          max_completion_tokens=9, stop=["\n"]), None),
    (chat("bad-role", [{"role": "wizard", "content": "x"}]), ("bad-role", "role")),
    (chat("bad-messages", "not a list"), ("bad-messages", "messages")),
    ({"custom_id": "bad-method", "method": 5, "url": "/v1/completions",
      "body": {"prompt": "x"}}, ("bad-method", "method")),
    (chat("bad-part", [{"role": "user", "content": [{"type": 3}]}]), ("bad-part", "content")),
    ({"id": "native", "prompt": "a native line"}, ("line-14", "format")),
    (completion("c3", "x", max_tokens=0), None),
    (completion("c4", "Numbers like 3.14159 and 2.71828 and", max_tokens=14, stop="e"), None),
]


def native_of(line_no, record):
    """The native request equal to a good OpenAI line (explicit seeds only, so line numbers do
    not matter)."""
    body = record["body"]
    prompt = body["prompt"] if "prompt" in body else chat_template(body["messages"])
    req = {"id": record["custom_id"], "prompt": prompt}
    if "max_completion_tokens" in body:
        req["max_tokens"] = body["max_completion_tokens"]
    for field in ("max_tokens", "temperature", "top_p", "top_k", "stop", "seed"):
        if field in body:
            req[field] = body[field]
    return req


def main():
    ck = Checker("openai batch")
    common.strata_bin()
    with common.tempdir("openai") as tmp:
        model = make_model(tmp, "model", layers=2, hidden=64, heads=4, ffn=128, seed=7,
                           max_positions=256, eos_scale=1.5)
        tok = common.GPT2Tokenizer.from_model_dir(model)
        inp = os.path.join(tmp, "batch.jsonl")
        common.write_jsonl(inp, [x for x, _ in LINES])
        out = os.path.join(tmp, "batch.out.jsonl")
        flags = ["--max-new-tokens", 16, "--batch-size", 3]

        print("OpenAI Batch file with good and bad lines")
        p = common.run_strata(["run", "--model", model, "--input", inp, "--output", out,
                               "--quiet"] + flags)
        if not ck.check(p.returncode == 3 and os.path.exists(out),
                        "bad lines do not fail the job (exit 3: some lines are error lines)",
                        common.describe(p)):
            ck.finish()
        ck.check(p.stderr == "", "--quiet: nothing on stderr", repr(p.stderr))
        outs = common.read_jsonl(out)
        ck.check(len(outs) == len(LINES), f"one output line per input line ({len(outs)})")

        good = [(n, rec) for n, (rec, err) in enumerate(LINES, start=1) if err is None]
        native_reqs = [native_of(n, rec) for n, rec in good]
        p, natives = common.run_requests(model, native_reqs, tmp, flags, name="native")
        common.check_run_ok(ck, p, natives, native_reqs, "the same prompts as native requests")
        native_by_id = {r["id"]: r for r in natives or []}

        ids = set()
        for n, ((rec, err), o) in enumerate(zip(LINES, outs), start=1):
            cid = err[0] if err else rec["custom_id"]
            what = f"line {n} ({cid})"
            ck.check(list(o.keys()) == ["id", "custom_id", "response", "error"],
                     f"{what}: fields id, custom_id, response, error", str(list(o.keys())))
            ck.check(o.get("custom_id") == cid, f"{what}: custom_id {cid!r}", str(o.get("custom_id")))
            ck.check(isinstance(o.get("id"), str) and o["id"] not in ids, f"{what}: unique id")
            ids.add(o.get("id"))
            if err is not None:
                e = o.get("error") or {}
                ck.check(o.get("response") is None and isinstance(e.get("message"), str) and
                         isinstance(e.get("code"), str),
                         f"{what}: an error line (response null, error code and message)", str(o))
                ck.check(err[1] in e.get("message", ""), f"{what}: the error names {err[1]!r}",
                         e.get("message", ""))
                ck.check(f":{n}:" in e.get("message", ""), f"{what}: the error names line {n}",
                         e.get("message", ""))
                continue
            resp = o.get("response") or {}
            body = resp.get("body") or {}
            ck.check(o.get("error") is None and resp.get("status_code") == 200 and
                     isinstance(resp.get("request_id"), str),
                     f"{what}: status_code 200, request_id, error null", str(o)[:300])
            is_chat = rec["url"] == "/v1/chat/completions"
            ck.check(body.get("object") == ("chat.completion" if is_chat else "text_completion")
                     and body.get("model") == "model" and isinstance(body.get("id"), str),
                     f"{what}: body object, model, id", str(body)[:300])
            choices = body.get("choices") or [{}]
            ch = choices[0]
            text = (ch.get("message") or {}).get("content") if is_chat else ch.get("text")
            if is_chat:
                ck.check(len(choices) == 1 and ch.get("message", {}).get("role") == "assistant",
                         f"{what}: one choice, an assistant message", str(ch)[:300])
            usage = body.get("usage") or {}
            ck.check(isinstance(usage.get("prompt_tokens"), int) and
                     isinstance(usage.get("completion_tokens"), int) and
                     usage.get("total_tokens") == usage["prompt_tokens"] + usage["completion_tokens"],
                     f"{what}: usage total = prompt + completion", str(usage))
            nat = native_by_id.get(cid)
            if nat is None:
                continue
            same = (text == nat["text"] and ch.get("finish_reason") == nat["finish_reason"] and
                    usage.get("prompt_tokens") == nat["prompt_tokens"] and
                    usage.get("completion_tokens") == nat["completion_tokens"])
            ck.check(same, f"{what}: text, finish_reason and usage equal the native request's",
                     f"openai {text!r} {ch.get('finish_reason')} {usage}\n        native "
                     f"{nat['text']!r} {nat['finish_reason']} {nat['prompt_tokens']}/"
                     f"{nat['completion_tokens']}")
            want_prompt = native_of(n, rec)["prompt"]
            ck.check(usage.get("prompt_tokens") == 1 + len(tok.encode(want_prompt)),
                     f"{what}: prompt_tokens = bos + the reference tokenizer's count of "
                     f"{'the chat template' if is_chat else 'the prompt'}", str(usage))
            if cid == "c3":
                ck.check(usage.get("completion_tokens") == 0 and text == "",
                         f"{what}: max_tokens 0 gives an empty completion")
            if cid == "ch2":
                ck.check(usage.get("completion_tokens") <= 9 and "\n" not in text,
                         f"{what}: max_completion_tokens and stop honoured", repr(text))

        print("--strict")
        out_strict = os.path.join(tmp, "strict.out.jsonl")
        p = common.run_strata(["run", "--model", model, "--input", inp, "--output", out_strict,
                               "--strict"] + flags)
        common.check_one_error_line(ck, p, "--strict with bad lines",
                                    ["batch.jsonl:1", "url"], exit_code=2)
        ck.check(not os.path.exists(out_strict), "--strict: no output file")
        ck.check(not os.path.exists(out_strict + ".journal"), "--strict: no journal")
        good_inp = os.path.join(tmp, "good.jsonl")
        common.write_jsonl(good_inp, [rec for _, rec in good])
        out_good = os.path.join(tmp, "good.out.jsonl")
        p = common.run_strata(["run", "--model", model, "--input", good_inp, "--output",
                               out_good, "--strict", "--quiet"] + flags)
        if ck.check(p.returncode == 0, "--strict on a file without bad lines succeeds",
                    common.describe(p)):
            got = common.read_jsonl(out_good)
            want = [o for o, (_, err) in zip(outs, LINES) if err is None]
            strip = [(o["custom_id"], o["response"]["body"]["choices"]) for o in got]
            ck.check(strip == [(o["custom_id"], o["response"]["body"]["choices"]) for o in want],
                     "--strict: the same choices as in the mixed file")
        long_inp = os.path.join(tmp, "long.jsonl")
        common.write_jsonl(long_inp, [completion("ok", "hi", max_tokens=2),
                                      completion("too-long", "word " * 400, max_tokens=2)])
        out_long = os.path.join(tmp, "long.out.jsonl")
        p = common.run_strata(["run", "--model", model, "--input", long_inp, "--output",
                               out_long, "--quiet"])
        if ck.check(p.returncode == 3, "a prompt over max_position_embeddings: job succeeds, "
                    "exit 3",
                    common.describe(p)):
            got = common.read_jsonl(out_long)
            ck.check(got[0]["error"] is None and got[1]["response"] is None and
                     "max_position_embeddings" in got[1]["error"]["message"],
                     "a prompt over max_position_embeddings: an error line for it", str(got[1]))
        p = common.run_strata(["run", "--model", model, "--input", long_inp, "--output",
                               out_long + "2", "--strict"])
        common.check_one_error_line(ck, p, "--strict, prompt too long", ["long.jsonl:2"],
                                    exit_code=2)
    ck.finish()


if __name__ == "__main__":
    main()
