#!/usr/bin/python3
"""Chat requests rendered by the model's own chat_template (issue 13 point 4), end to end:
a tiny Llama-style model whose tokenizer_config.json carries a ChatML template (Qwen's shape,
with an enable_thinking switch) and eos_token "<|im_end|>".
- usage.prompt_tokens equals the length of the prompt jinja2 renders (trim_blocks,
  lstrip_blocks, add_generation_prompt) tokenized by the independent Python tokenizer without
  a bos: the template writes every special token itself;
- chat_template_kwargs reach the template (enable_thinking false adds the empty think block);
- --chat-template FILE overrides the model's template;
- a template that raises (here: on a developer message) gives that request an error line
  naming the template's message;
- the tokenizer's eos_token ends generation (finish_reason "stop") though config.json lists
  another eos id.
"""

import json
import os
import sys

import jinja2

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker  # noqa: E402

sys.path.insert(0, os.path.join(common.SOURCE_DIR, "scripts"))
sys.path.insert(0, os.path.join(common.SOURCE_DIR, "tests", "reference"))
import make_tiny_llama  # noqa: E402
from gpt2_tokenizer import GPT2Tokenizer  # noqa: E402
from llama_reference import LlamaReference  # noqa: E402

TEMPLATE = (
    "{%- for m in messages %}\n"
    "{%- if m.role == 'developer' %}"
    "{{ raise_exception('role ' ~ m.role ~ ' is not supported') }}{% endif %}\n"
    "{{- '<|im_start|>' + m.role + '\\n' + m.content | trim + '<|im_end|>\\n' }}\n"
    "{%- endfor %}\n"
    "{%- if add_generation_prompt %}\n"
    "{{- '<|im_start|>assistant\\n' }}\n"
    "{%- if enable_thinking is defined and enable_thinking is false %}"
    "{{- '<think>\\n\\n</think>\\n\\n' }}{%- endif %}\n"
    "{%- endif %}\n")
OVERRIDE = "{% for m in messages %}[{{ m.role }}] {{ m.content }}\n{% endfor %}>>"


def render(template, messages, **kwargs):
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)
    env = jinja2.Environment(trim_blocks=True, lstrip_blocks=True)
    env.globals["raise_exception"] = raise_exception
    return env.from_string(template).render(messages=messages, add_generation_prompt=True,
                                            bos_token="", eos_token="<|im_end|>", **kwargs)


def chat(cid, messages, **body):
    return {"custom_id": cid, "method": "POST", "url": "/v1/chat/completions",
            "body": dict({"model": "tiny", "messages": messages, "max_tokens": 6}, **body)}


def main():
    ck = Checker("chat template job")
    common.strata_bin()
    with common.tempdir("chat") as tmp:
        model = os.path.join(tmp, "tiny")
        make_tiny_llama.make_model(model, family="qwen2", seed=21)
        cfg_path = os.path.join(model, "tokenizer_config.json")
        with open(cfg_path, encoding="utf-8") as f:
            tok_cfg = json.load(f)
        tok = GPT2Tokenizer.from_model_dir(model)
        # The end-of-turn token: a vocabulary token the tiny model emits, named eos_token.
        conv = [{"role": "system", "content": "Be brief."},
                {"role": "user", "content": "  Café? 3.14  "}]
        ids = tok.encode(render(TEMPLATE, conv))
        for _ in range(3):  # the reference's third greedy token
            ids.append(int(LlamaReference(model).forward(ids)[-1].argmax()))
        eot_id = ids[-1]
        vocab = json.load(open(os.path.join(model, "vocab.json"), encoding="utf-8"))
        eot = next(t for t, i in vocab.items() if i == eot_id)
        tok_cfg.update({"chat_template": TEMPLATE, "eos_token": eot})
        with open(cfg_path, "w", encoding="utf-8") as f:
            json.dump(tok_cfg, f)
        # special_tokens_map.json wins over tokenizer_config.json, as in transformers.
        os.remove(os.path.join(model, "special_tokens_map.json"))

        lines = [chat("a", conv), chat("b", conv, chat_template_kwargs={"enable_thinking": False}),
                 chat("c", [{"role": "developer", "content": "x"}])]
        inp = os.path.join(tmp, "chat.jsonl")
        common.write_jsonl(inp, lines)
        p = common.run_strata(["run", "--model", model, "--input", inp, "--output", inp + ".out",
                               "--quiet", "--policy", "in-memory"])
        # Exit 3: the job wrote every line, one of them (request c) an error line.
        if not ck.check(p.returncode == 3, "chat job runs (exit 3: one error line)",
                        common.describe(p)):
            ck.finish()
        out = common.read_jsonl(inp + ".out")
        for i, kwargs in ((0, {}), (1, {"enable_thinking": False})):
            want = len(tok.encode(render(TEMPLATE, conv, **kwargs)))
            got = out[i]["response"]["body"]["usage"]["prompt_tokens"] if out[i].get("response") else None
            ck.check(got == want, f"request {'ab'[i]}: prompt tokens of the jinja2 rendering "
                     f"({got} vs {want})")
        choice = out[0]["response"]["body"]["choices"][0]
        ck.check(choice["finish_reason"] == "stop" and
                 out[0]["response"]["body"]["usage"]["completion_tokens"] == 3,
                 "the tokenizer's eos_token ends the turn", json.dumps(choice))
        err = out[2].get("error") or {}
        ck.check("role developer is not supported" in json.dumps(err),
                 "a raising template gives an error line with its message", json.dumps(out[2]))

        override = os.path.join(tmp, "override.jinja")
        with open(override, "w", encoding="utf-8") as f:
            f.write(OVERRIDE)
        common.write_jsonl(inp, [chat("a", conv)])
        p = common.run_strata(["run", "--model", model, "--input", inp, "--output",
                               inp + ".2.out", "--quiet", "--policy", "in-memory",
                               "--chat-template", override])
        got = common.read_jsonl(inp + ".2.out") if p.returncode == 0 else None
        want = len(tok.encode(render(OVERRIDE, conv)))
        ck.check(got is not None and
                 got[0]["response"]["body"]["usage"]["prompt_tokens"] == want,
                 "--chat-template overrides the model's template", common.describe(p))
    ck.finish()


if __name__ == "__main__":
    main()
