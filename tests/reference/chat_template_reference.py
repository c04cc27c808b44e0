#!/usr/bin/python3
"""Reference chat-template renderer: Debian's python3-jinja2 set up as transformers sets it up.

Written from transformers' chat_template_utils (_compile_jinja_template, render_jinja_template)
and tokenization_utils_base (apply_chat_template, special_tokens_map), without transformers:
  env      ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
           extensions=[AssistantTracker, jinja2.ext.loopcontrols])
  filters  tojson = json.dumps(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False)
  globals  raise_exception(message) -> TemplateError(message); strftime_now(fmt) -> now.strftime(fmt)
  render   template.render(messages=..., tools=None, documents=None, add_generation_prompt=True,
                           **{**special_tokens_map, **kwargs})
  special_tokens_map: bos/eos/unk/sep/pad/cls/mask_token and additional_special_tokens from
           tokenizer_config.json (a string or {"content": ...}), those unset or empty left out.

Usage: chat_template_reference.py REQUEST.json  (or "-" for stdin), REQUEST =
  {"now": epoch seconds for strftime_now,
   "template": text | "tokenizer_config": path (its chat_template, "default" of a list),
   "special_tokens": {...} (with "template"; ignored with "tokenizer_config"),
   "cases": [{"messages": [...], "kwargs": {...}} | {"context": {...}}]}
"context" renders the template with exactly that context (no transformers wrapping).
Prints a JSON list, one entry per case: {"text": ...} or {"error": ..., "kind": exception name}.
A JSON list of such requests is answered with the list of their answers.
"""

import datetime
import json
import sys

import jinja2
import jinja2.ext
from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

SPECIAL_TOKEN_KEYS = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token",
                      "cls_token", "mask_token"]


class AssistantTracker(jinja2.ext.Extension):
    """{% generation %}...{% endgeneration %} renders its body (transformers only also records
    the span for assistant masks, which does not change the text)."""

    tags = {"generation"}

    def parse(self, parser):
        lineno = next(parser.stream).lineno
        body = parser.parse_statements(["name:endgeneration"], drop_needle=True)
        return nodes.CallBlock(self.call_method("_generation_support"), [], [], body).set_lineno(lineno)

    def _generation_support(self, caller):
        return caller()


def compile_template(text, now):
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators,
                          sort_keys=sort_keys)

    def strftime_now(format):
        return datetime.datetime.fromtimestamp(now).strftime(format)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[AssistantTracker, jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env.from_string(text)


def token_text(value):
    if isinstance(value, dict):
        return value["content"]
    return value


def load_tokenizer_config(path):
    with open(path, encoding="utf-8") as f:
        config = json.load(f)
    template = config["chat_template"]
    if isinstance(template, list):
        template = {t["name"]: t["template"] for t in template}["default"]
    tokens = {}
    for key in SPECIAL_TOKEN_KEYS:
        if config.get(key) is not None:
            tokens[key] = token_text(config[key])
    extra = [token_text(t) for t in config.get("additional_special_tokens") or []]
    if extra:
        tokens["additional_special_tokens"] = extra
    return template, tokens


def render_case(template, special_tokens, case):
    if "context" in case:
        return template.render(**case["context"])
    kwargs = {**special_tokens, **case.get("kwargs", {})}
    return template.render(messages=case["messages"], tools=None, documents=None,
                           add_generation_prompt=True, **kwargs)


def answer(request):
    if "tokenizer_config" in request:
        text, special_tokens = load_tokenizer_config(request["tokenizer_config"])
    else:
        text, special_tokens = request["template"], request.get("special_tokens", {})
    try:
        template = compile_template(text, request.get("now", 0))
    except jinja2.exceptions.TemplateError as e:
        return [{"error": str(e), "kind": type(e).__name__}] * len(request["cases"])
    results = []
    for case in request["cases"]:
        try:
            results.append({"text": render_case(template, special_tokens, case)})
        except Exception as e:  # every failure is an answer the engine must also fail on
            results.append({"error": str(e), "kind": type(e).__name__})
    return results


def main():
    source = sys.stdin if sys.argv[1] == "-" else open(sys.argv[1], encoding="utf-8")
    request = json.load(source)
    # A list of requests is answered with a list of answers (one process for many templates).
    result = [answer(r) for r in request] if isinstance(request, list) else answer(request)
    json.dump(result, sys.stdout, ensure_ascii=False)


if __name__ == "__main__":
    main()
