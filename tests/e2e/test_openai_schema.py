#!/usr/bin/python3
"""OpenAI Batch output exactly as OpenAI writes it (issue 16 point 5):
- every output line validates against a schema written here from openai-python's types
  (BatchRequestOutput, ChatCompletion / Choice / ChatCompletionMessage, Completion /
  CompletionChoice, CompletionUsage, and for logprobs completion_choice.Logprobs, ChoiceLogprobs,
  ChatCompletionTokenLogprob, TopLogprob): every required field present with its type, the
  fields OpenAI writes (created, logprobs, message.refusal, system_fingerprint, bytes) present,
  and no field the types do not have; error lines: response null, error {code, message};
- ids (line id, request_id, body id) are unique within a job and across two runs of one job;
  a job interrupted by SIGINT and resumed keeps every line it had journaled as it was, ids
  included, and adds no duplicate;
- logprobs asked for (completions' logprobs, chat's logprobs and top_logprobs) are there, null
  otherwise (their values: test_openai_logprobs.py);
- a parameter Strata does not implement (response_format json, logit_bias, tools with a
  forced tool_choice, token-id prompts, an unknown parameter) gives an error line with code
  unsupported_parameter naming it, for that request only; harmless parameters (user, metadata,
  stream_options, store, max_completion_tokens) change nothing;
- presence/frequency penalties: greedy tokens with penalties equal the float64 reference's
  greedy decoding over logits - c*frequency - (c>0)*presence; without them (absent or 0) the
  tokens are those of the plain request; set, they change them;
- n > 1 gives n choices indexed 0..n-1, choice 0 equal to the same request with n = 1, the others
  sampled with other seeds; an array of prompts gives choice prompt_index * n + i, each equal to
  the prompt run alone under greedy decoding, and usage counts each prompt once;
- stop as a string and as an array cuts the text before the first stop string.
"""

import json
import os
import signal
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker, make_model  # noqa: E402

# --- A schema from openai-python (src/openai/types/...), checked by hand: no jsonschema here.
# A spec is a Python type, a Lit(values), Nullable(spec), ListOf(spec) or an Obj of
# name -> (spec, required). "required" is openai-python's (no default) or, for the fields the
# issue asks for (created, logprobs, refusal, system_fingerprint), "OpenAI writes it".


class Lit:
    def __init__(self, *values):
        self.values = values


class Nullable:
    def __init__(self, spec):
        self.spec = spec


class ListOf:
    def __init__(self, spec):
        self.spec = spec


class MapOf:
    """A JSON object of any string keys, each value a spec."""

    def __init__(self, spec):
        self.spec = spec


class Obj:
    def __init__(self, **fields):
        self.fields = fields


def required(spec):
    return (spec, True)


def optional(spec):
    return (spec, False)


USAGE = Obj(prompt_tokens=required(int), completion_tokens=required(int),  # CompletionUsage
            total_tokens=required(int), completion_tokens_details=optional(Nullable(dict)),
            prompt_tokens_details=optional(Nullable(dict)))
CHAT_MESSAGE = Obj(content=required(Nullable(str)), refusal=required(Nullable(str)),
                   role=required(Lit("assistant")), annotations=optional(Nullable(list)),
                   audio=optional(Nullable(dict)), function_call=optional(Nullable(dict)),
                   tool_calls=optional(Nullable(list)))
# chat_completion_token_logprob.TopLogprob and ChatCompletionTokenLogprob (bytes: OpenAI writes it).
TOP_LOGPROB = Obj(token=required(str), bytes=required(Nullable(ListOf(int))),
                  logprob=required(float))
TOKEN_LOGPROB = Obj(token=required(str), bytes=required(Nullable(ListOf(int))),
                    logprob=required(float), top_logprobs=required(ListOf(TOP_LOGPROB)))
CHOICE_LOGPROBS = Obj(content=required(Nullable(ListOf(TOKEN_LOGPROB))),  # chat_completion.ChoiceLogprobs
                      refusal=required(Nullable(ListOf(TOKEN_LOGPROB))))
CHAT_CHOICE = Obj(finish_reason=required(Lit("stop", "length", "tool_calls", "content_filter",
                                             "function_call")),
                  index=required(int), logprobs=required(Nullable(CHOICE_LOGPROBS)),
                  message=required(CHAT_MESSAGE))
CHAT_COMPLETION = Obj(id=required(str), choices=required(ListOf(CHAT_CHOICE)),
                      created=required(int), model=required(str),
                      object=required(Lit("chat.completion")),
                      service_tier=optional(Nullable(str)),
                      system_fingerprint=required(Nullable(str)),
                      usage=required(Nullable(USAGE)))
COMPLETION_LOGPROBS = Obj(text_offset=required(Nullable(ListOf(int))),  # completion_choice.Logprobs
                          token_logprobs=required(Nullable(ListOf(float))),
                          tokens=required(Nullable(ListOf(str))),
                          top_logprobs=required(Nullable(ListOf(Nullable(MapOf(float))))))
COMPLETION_CHOICE = Obj(finish_reason=required(Lit("stop", "length", "content_filter")),
                        index=required(int), logprobs=required(Nullable(COMPLETION_LOGPROBS)),
                        text=required(str))
COMPLETION = Obj(id=required(str), choices=required(ListOf(COMPLETION_CHOICE)),
                 created=required(int), model=required(str),
                 object=required(Lit("text_completion")),
                 system_fingerprint=required(Nullable(str)), usage=required(Nullable(USAGE)))


def batch_output(body):
    """BatchRequestOutput whose response body is `body` (ChatCompletion or Completion)."""
    response = Obj(status_code=required(int), request_id=required(str), body=required(body))
    error = Obj(code=required(str), message=required(str))
    return Obj(id=required(str), custom_id=required(str), response=required(Nullable(response)),
               error=required(Nullable(error)))


def validate(value, spec, path="line"):
    """Problems of value against spec, as 'path: what' strings (empty: valid)."""
    if isinstance(spec, Nullable):
        return [] if value is None else validate(value, spec.spec, path)
    if isinstance(spec, Lit):
        return [] if value in spec.values else [f"{path}: {value!r} not one of {spec.values}"]
    if isinstance(spec, ListOf):
        if not isinstance(value, list):
            return [f"{path}: expected a list, got {value!r}"]
        return [p for i, v in enumerate(value) for p in validate(v, spec.spec, f"{path}[{i}]")]
    if isinstance(spec, MapOf):
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {value!r}"]
        return [p for k, v in value.items() for p in validate(v, spec.spec, f"{path}[{k!r}]")]
    if isinstance(spec, Obj):
        if not isinstance(value, dict):
            return [f"{path}: expected an object, got {value!r}"]
        problems = [f"{path}.{k}: not a field of the type" for k in value if k not in spec.fields]
        for name, (sub, needed) in spec.fields.items():
            if name not in value:
                if needed:
                    problems.append(f"{path}.{name}: missing")
                continue
            problems += validate(value[name], sub, f"{path}.{name}")
        return problems
    ok = isinstance(value, spec) and not (spec is int and isinstance(value, bool))
    return [] if ok else [f"{path}: expected {spec.__name__}, got {value!r}"]


def check_schema(ck, lines, inputs, what):
    """Every line valid for its endpoint's type; success lines status 200 and error null."""
    problems = []
    for n, (line, rec) in enumerate(zip(lines, inputs), start=1):
        is_chat = isinstance(rec, dict) and rec.get("url") == "/v1/chat/completions"
        problems += validate(line, batch_output(CHAT_COMPLETION if is_chat else COMPLETION),
                             f"line {n}")
        if (line.get("response") is None) == (line.get("error") is None):
            problems.append(f"line {n}: exactly one of response and error must be null")
        if line.get("response") is not None and line["response"].get("status_code") != 200:
            problems.append(f"line {n}: status_code {line['response'].get('status_code')}")
    ck.check(not problems, f"{what}: every line matches openai-python's types",
             "; ".join(problems[:8]))


def ids_of(lines):
    out = []
    for line in lines:
        out.append(line.get("id"))
        if line.get("response"):
            out += [line["response"].get("request_id"), line["response"]["body"].get("id")]
    return out


# --- requests


def completion(cid, prompt, **body):
    return {"custom_id": cid, "method": "POST", "url": "/v1/completions",
            "body": dict({"model": "tiny", "prompt": prompt}, **body)}


def chat(cid, content, **body):
    return {"custom_id": cid, "method": "POST", "url": "/v1/chat/completions",
            "body": dict({"model": "tiny", "messages": [{"role": "user", "content": content}]},
                         **body)}


P1 = "Once upon a time"
P2 = "Numbers like 3.14159 and 2.71828 and"
P3 = "The river ran past the"
PENALTIES = {"presence_penalty": 0.7, "frequency_penalty": 1.3}

MAIN = [
    completion("plain", P1, max_tokens=16),
    chat("chat-plain", P1, max_tokens=12),
    completion("harmless", P1, max_tokens=16, user="u1", metadata={"k": "v"},
               stream_options=None, store=False, stream=False, logprobs=None, n=1),
    chat("chat-harmless", P1, max_completion_tokens=12, user="u1", logprobs=False,
         response_format={"type": "text"}, tool_choice="none", parallel_tool_calls=True),
    completion("pen-zero", P1, max_tokens=16, presence_penalty=0, frequency_penalty=0.0),
    completion("pen", P1, max_tokens=16, **PENALTIES),
    chat("chat-pen", P1, max_tokens=12, frequency_penalty=2.0),
    completion("seeded", P2, max_tokens=12, temperature=1.0, seed=42),
    completion("n3", P2, max_tokens=12, temperature=1.0, seed=42, n=3),
    chat("chat-n2", P2, max_tokens=10, temperature=1.0, seed=7, n=2),
    completion("array", [P1, P3], max_tokens=10, n=2),
    completion("alone-p3", P3, max_tokens=10),
    completion("long", P2, max_tokens=24),
    completion("stop-str", P2, max_tokens=24, stop="e"),
    completion("stop-arr", P2, max_tokens=24, stop=["zzz-never", "e", "5"]),
    # Parameters Strata does not implement: an error line each, naming the parameter.
    chat("u-json", P1, response_format={"type": "json_object"}),
    completion("u-bias", P1, logit_bias={"50": -100}),
    chat("chat-logprobs", P1, max_tokens=12, logprobs=True, top_logprobs=2),
    completion("logprobs", P1, max_tokens=16, logprobs=1),
    chat("u-tools", P1, tools=[{"type": "function", "function": {"name": "f"}}],
         tool_choice={"type": "function", "function": {"name": "f"}}),
    chat("u-tools-auto", P1, tools=[{"type": "function", "function": {"name": "f"}}]),
    completion("u-tokens", [1, 2, 3]),
    completion("u-unknown", P1, min_p=0.1),
    completion("u-echo", P1, echo=True),
    completion("after", P1, max_tokens=16),  # a neighbour of the refused lines runs as usual
]
UNSUPPORTED = {"u-json": "response_format", "u-bias": "logit_bias", "u-tools": "tool_choice",
               "u-tools-auto": "tools", "u-tokens": "prompt",
               "u-unknown": "min_p", "u-echo": "echo"}


def penalized_greedy(ref, prompt, max_new, presence, frequency):
    """The reference's greedy decoding with OpenAI's penalties over the generated tokens."""
    ids, out, margins = ref.prompt_ids(prompt), [], []
    for _ in range(max_new):
        logits = ref.forward(np.array([ids]))[0, -1].copy()
        counts = np.bincount(np.array(out, dtype=np.int64), minlength=logits.shape[0])
        logits -= counts * frequency + (counts > 0) * presence
        best = int(np.argmax(logits))
        margins.append(float(logits[best] - np.partition(logits, -2)[-2]))
        out.append(best)
        ids.append(best)
        if best == ref.eos:
            break
    return {"token_ids": out, "margins": margins}


def by_id(lines):
    return {line["custom_id"]: line for line in lines}


def texts(line):
    body = line["response"]["body"]
    return [c["message"]["content"] if "message" in c else c["text"] for c in body["choices"]]


def check_main(ck, outs, model, tmp, flags):
    check_schema(ck, outs, MAIN, "mixed job")
    got = by_id(outs)
    ok = {cid: line for cid, line in got.items() if line.get("response")}

    print("unsupported parameters: an error line for that request only")
    for cid, field in UNSUPPORTED.items():
        err = got[cid].get("error") or {}
        ck.check(got[cid].get("response") is None and err.get("code") == "unsupported_parameter"
                 and f"'body.{field}'" in err.get("message", "") and
                 "\n" not in err.get("message", ""),
                 f"{cid}: error line, code unsupported_parameter, names body.{field}",
                 json.dumps(got[cid])[:300])
    runs = [r["custom_id"] for r in MAIN if r["custom_id"] not in UNSUPPORTED]
    ck.check(sorted(ok) == sorted(runs), "every other request succeeds",
             f"succeeded: {sorted(ok)}")
    if sorted(ok) != sorted(runs):
        return

    print("harmless parameters and zero penalties change nothing")
    ck.check(texts(ok["harmless"]) == texts(ok["plain"]) and
             ok["harmless"]["response"]["body"]["usage"] == ok["plain"]["response"]["body"]["usage"],
             "user, metadata, stream_options, store, stream false, n 1: same as plain")
    ck.check(texts(ok["chat-harmless"]) == texts(ok["chat-plain"]),
             "max_completion_tokens, response_format text, tool_choice none: same as plain chat")
    ck.check(texts(ok["pen-zero"]) == texts(ok["plain"]), "penalties 0: same text as plain")
    ck.check(texts(ok["after"]) == texts(ok["plain"]), "a neighbour of refused lines: as plain")

    print("logprobs: there when asked, null otherwise, and the text unchanged")
    asked = {"logprobs", "chat-logprobs"}
    ck.check(all((c["logprobs"] is not None) == (cid in asked)
                 for cid, line in ok.items() for c in line["response"]["body"]["choices"]),
             "choices[].logprobs set exactly where the request asked for them")
    ck.check(texts(ok["logprobs"]) == texts(ok["plain"]) and
             texts(ok["chat-logprobs"]) == texts(ok["chat-plain"]),
             "asking for logprobs does not change the text")
    lp = ok["logprobs"]["response"]["body"]["choices"][0]["logprobs"]
    ck.check(len(lp["tokens"]) == ok["logprobs"]["response"]["body"]["usage"]["completion_tokens"],
             "completions: one logprobs entry per completion token")

    print("penalties against the float64 reference")
    ck.check(texts(ok["pen"]) != texts(ok["plain"]), "penalties set: the text changes",
             f"{texts(ok['pen'])} vs {texts(ok['plain'])}")
    ck.check(texts(ok["chat-pen"]) != texts(ok["chat-plain"]),
             "chat, frequency_penalty 2: the text changes")
    ref = common.OPTReference(model)
    native = [{"id": "plain", "prompt": P1, "max_tokens": 16},
              {"id": "pen", "prompt": P1, "max_tokens": 16, **PENALTIES}]
    p, nat = common.run_requests(model, native, tmp, flags, name="native")
    if common.check_run_ok(ck, p, nat, native, "native requests with and without penalties"):
        want = ref.generate(P1, 16)
        common.compare_greedy(ck, want, nat[0]["token_ids"], "no penalties")
        pen = penalized_greedy(ref, P1, 16, PENALTIES["presence_penalty"],
                               PENALTIES["frequency_penalty"])
        common.compare_greedy(ck, pen, nat[1]["token_ids"], "presence 0.7, frequency 1.3")
        ck.check(nat[1]["token_ids"] != nat[0]["token_ids"],
                 "the reference case is one where penalties change the tokens")
        ck.check([nat[0]["text"]] == texts(ok["plain"]) and [nat[1]["text"]] == texts(ok["pen"]),
                 "OpenAI texts equal the native requests' (with and without penalties)")

    print("n and arrays of prompts")
    n3 = ok["n3"]["response"]["body"]
    ck.check([c["index"] for c in n3["choices"]] == [0, 1, 2], "n 3: choices indexed 0, 1, 2",
             str([c.get("index") for c in n3["choices"]]))
    ck.check(texts(ok["n3"])[0] == texts(ok["seeded"])[0],
             "n 3: choice 0 equals the same request with n 1")
    ck.check(len(set(texts(ok["n3"]))) > 1, "n 3, temperature 1: choices differ (other seeds)",
             str(texts(ok["n3"])))
    ck.check(n3["usage"]["prompt_tokens"] == ok["seeded"]["response"]["body"]["usage"]
             ["prompt_tokens"], "n 3: the prompt is counted once")
    n2 = ok["chat-n2"]["response"]["body"]
    ck.check([c["index"] for c in n2["choices"]] == [0, 1] and
             all(c["message"]["role"] == "assistant" for c in n2["choices"]),
             "chat n 2: two assistant choices indexed 0, 1")
    arr = ok["array"]["response"]["body"]
    alone = {0: None, 1: texts(ok["alone-p3"])[0]}
    p, one = common.run_requests(model, [completion("alone-p1", P1, max_tokens=10)], tmp, flags,
                                 name="alone")
    if ck.check(p.returncode == 0 and one, "prompt 0 alone runs", common.describe(p)):
        alone[0] = texts(one[0])[0]
    ck.check([c["index"] for c in arr["choices"]] == [0, 1, 2, 3] and
             texts(ok["array"]) == [alone[0], alone[0], alone[1], alone[1]],
             "array of 2 prompts, n 2: choice p*2+i is prompt p's greedy text",
             f"{texts(ok['array'])} vs {alone}")
    usage_one = ok["alone-p3"]["response"]["body"]["usage"]["prompt_tokens"]
    tok = common.GPT2Tokenizer.from_model_dir(model)
    ck.check(arr["usage"]["prompt_tokens"] == 2 + len(tok.encode(P1)) + len(tok.encode(P3)) and
             usage_one == 1 + len(tok.encode(P3)) and
             arr["usage"]["total_tokens"] == arr["usage"]["prompt_tokens"] +
             arr["usage"]["completion_tokens"],
             "array: usage counts each prompt once (bos included), total = prompt + completion",
             str(arr["usage"]))

    print("stop as a string and as an array")
    full = texts(ok["long"])[0]
    cut = full.find("e")
    ck.check(cut >= 0, "the unstopped text holds the stop string 'e'", repr(full))
    for cid in ("stop-str", "stop-arr"):
        choice = ok[cid]["response"]["body"]["choices"][0]
        first = min([i for i in (full.find("e"), full.find("5")) if i >= 0]
                    if cid == "stop-arr" else [cut])
        ck.check(choice["text"] == full[:first] and choice["finish_reason"] == "stop",
                 f"{cid}: text cut before the first stop string, finish_reason stop",
                 f"{choice['text']!r} vs {full[:first]!r}")


def journal_lines(path):
    """{index: line} of a journal's complete entries (its first line is the header)."""
    with open(path, "rb") as f:
        raw = f.read().split(b"\n")[1:-1]
    return {e["index"]: e["line"] for e in map(json.loads, raw)}


def check_resume(ck, model, tmp):
    """SIGINT mid-job, then --resume: journaled lines unchanged, no duplicate, ids unique."""
    inp = os.path.join(tmp, "resume.jsonl")
    # About a second of work on a small machine, so SIGINT lands mid-job even under load.
    reqs = [completion(f"r{i}", f"{P3} {i}", max_tokens=64, temperature=0.8, seed=i, n=1 + i % 2)
            for i in range(120)]
    reqs[5] = completion("r5", P1, logit_bias={"1": 1})  # an error line, journaled first
    common.write_jsonl(inp, reqs)
    out = os.path.join(tmp, "resume.out.jsonl")
    cmd = [common.strata_bin(), "run", "--model", model, "--input", inp, "--output", out,
           "--batch-size", "1"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    journal = out + ".journal"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if os.path.exists(journal) and len(journal_lines(journal)) >= 4:
            break
        time.sleep(0.005)
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    if not ck.check(proc.returncode == 130 and os.path.exists(journal),
                    "SIGINT mid-job: exit 130, journal kept", f"exit {proc.returncode}"):
        return
    before = journal_lines(journal)
    ck.check(4 <= len(before) < len(reqs), f"interrupted with {len(before)} of {len(reqs)} lines")
    p = common.run_strata(cmd[1:] + ["--resume", "--quiet"])
    if not ck.check(p.returncode == 3, "--resume completes (exit 3: the job has error lines)",
                    common.describe(p)):
        return
    after = common.read_jsonl(out)
    check_schema(ck, after, reqs, "resumed job")
    ck.check([x["custom_id"] for x in after] == [r["custom_id"] for r in reqs],
             "resumed job: every request once, in input order")
    changed = [i for i, line in before.items() if after[i] != line]
    ck.check(not changed, f"resumed job: the {len(before)} journaled lines are unchanged "
             "(ids and created included)", f"changed: {changed}")
    ids = ids_of(after)
    ck.check(len(ids) == len(set(ids)), "resumed job: every id unique")
    ck.check((after[5].get("error") or {}).get("code") == "unsupported_parameter" and
             all(len(x["response"]["body"]["choices"]) == 1 + i % 2
                 for i, x in enumerate(after) if i != 5 and x.get("response")),
             "resumed job: the error line, and n choices per line")


def main():
    ck = Checker("openai schema")
    common.strata_bin()
    with common.tempdir("openai-schema") as tmp:
        model = make_model(tmp, "model", layers=2, hidden=64, heads=4, ffn=128, seed=7,
                           max_positions=256)
        flags = ["--batch-size", 4]
        inp = os.path.join(tmp, "batch.jsonl")
        common.write_jsonl(inp, MAIN)
        outs = []
        for run in (1, 2):
            out = os.path.join(tmp, f"batch{run}.out.jsonl")
            p = common.run_strata(["run", "--model", model, "--input", inp, "--output", out,
                                   "--quiet"] + flags)
            if not ck.check(p.returncode == 3, f"run {run} of the mixed job succeeds (exit 3: it "
                            "has error lines)",
                            common.describe(p)):
                ck.finish()
            outs.append(common.read_jsonl(out))
        ck.check(len(outs[0]) == len(MAIN), "one output line per input line")

        print("ids")
        first, second = ids_of(outs[0]), ids_of(outs[1])
        ck.check(all(isinstance(i, str) for i in first + second) and
                 len(set(first)) == len(first), "ids unique within a job")
        ck.check(not set(first) & set(second), "no id of one run appears in another run")
        prefixes = all(x["id"].startswith("batch_req_") and
                       (x["response"] is None or (
                           x["response"]["request_id"].startswith("req_") and
                           x["response"]["body"]["id"].startswith(
                               "chatcmpl-" if r["url"].endswith("chat/completions") else "cmpl-")))
                       for x, r in zip(outs[0], MAIN))
        ck.check(prefixes, "ids: batch_req_, req_, chatcmpl- / cmpl- prefixes")
        now = time.time()
        ck.check(all(now - 600 < x["response"]["body"]["created"] <= now + 1
                     for x in outs[0] if x["response"]), "created: unix seconds of this run")
        fps = {x["response"]["body"]["system_fingerprint"] for o in outs for x in o
               if x["response"]}
        ck.check(len(fps) == 1 and next(iter(fps)).startswith("fp_"),
                 "one system_fingerprint (fp_...) for one model and settings", str(fps))
        same = [(x["custom_id"], texts(x)) for x in outs[0] if x["response"]]
        ck.check(same == [(x["custom_id"], texts(x)) for x in outs[1] if x["response"]],
                 "two runs: the same choices")

        check_main(ck, outs[0], model, tmp, flags)
        print("resume")
        check_resume(ck, model, tmp)
    ck.finish()


if __name__ == "__main__":
    main()
