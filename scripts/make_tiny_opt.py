#!/usr/bin/python3
"""Writes a small random OPT checkpoint in Hugging Face layout, for tests.

    make_tiny_opt.py --out DIR [--layers 2] [--hidden 64] [--heads 4] [--ffn 128]
                     [--max-positions 128] [--seed 0] [--dtype f32|f16|bf16] [--shards N]
                     [--post-ln] [--word-embed-proj-dim P] [--no-prefix] [--untied]
                     [--no-metadata] [--vocab-merges 90] [--eos-scale 1.0]

DIR receives config.json, model.safetensors (or model-0000i-of-0000N.safetensors plus
model.safetensors.index.json), vocab.json, merges.txt, special_tokens_map.json and
tokenizer_config.json, laid out as transformers' OPTForCausalLM / GPT2Tokenizer save them.

Vocabulary: ids 0..3 are "<s>", "<pad>", "</s>", "<unk>"; then the 256 byte symbols of GPT-2's
bytes_to_unicode (in its order); then the tokens of BPE merges learned by a small trainer on the
built-in corpus below. config vocab_size is len(vocab) rounded up to a multiple of 8, so (as in
real OPT) a few logit rows have no token; those embedding rows are zero.

Weights are random and deterministic from --seed, scaled so that greedy logits are well separated
(logit std about 2.5) and fp32 vs float64 argmax ties are rare. The embedding rows of the special
tokens <s>, <pad> and <unk> are shrunk so that greedy generation practically never emits them.

Only the standard library, numpy and the `regex` module are used. Importable: make_model(),
build_tensors(), write_safetensors(), encode_tensor() are used by tests/e2e; iter_tensors() and
make_config() by scripts/peers/make_opt_checkpoint.py.
"""

import argparse
import collections
import json
import math
import os
import struct
import sys

import numpy as np
import regex

SPECIAL_TOKENS = ["<s>", "<pad>", "</s>", "<unk>"]
BOS_ID, PAD_ID, EOS_ID = 2, 1, 2

# GPT-2's pre-tokenizer pattern.
GPT2_PATTERN = regex.compile(
    r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+""")

CORPUS = """\
The quick brown fox jumps over the lazy dog. The dog doesn't care; it's asleep.
I'm sure we're going to the market at 10:30, and they've said you'll like it.
She'd rather read a book than watch the game, wouldn't she? He's not sure.
In 2023 the town had 4,512 people; by 2024 it had 4,700. That's growth of 4.2%.
Call 555-0199 or write to info@example.com before March 3rd, 1999!
Prices: $3.50 for tea, $12.99 for lunch, and 100 yen for the bus (one way).
The café on the corner serves crêpes, jalapeño nachos and a naïve little rosé.
My résumé says I lived in Zürich, São Paulo and Kraków; the façade was über cool.
"Hello," said the teacher. "Open your books to page 42, please."
We can't stop now -- there's too much to do, and the night is young...
What is the time? It is half past seven. What is the date? It is the first of May.
The rain in Spain stays mainly in the plain; the sun in the north is rare.
Numbers like 3.14159, 2.71828 and 1.41421 appear in many places in math.
They're here, you're there, we're everywhere: that's the point of the story.
If it weren't for the storm, the ship would've reached the harbor by noon.
The children played in the garden while their parents talked about the weather.
A good day starts with coffee, a walk in the park and a kind word to a friend.
He said, 'I'll be back at 5 pm,' but he didn't come back until the next morning.
Water boils at 100 degrees and freezes at 0 degrees on the Celsius scale.
The library opens at 9 and closes at 17 on weekdays; on Sundays it is closed.
Once upon a time there was a little house in the woods, and in the house there lived a cat.
The cat liked the sun, the sun liked the cat, and the two of them were the best of friends.
"""

ROW_SHRINK_SPECIAL = 0.05  # embedding/lm_head row scale for <s>, <pad>, <unk>
# (position embedding std, gain on out_proj/fc2) per layer-norm placement. With tied embeddings
# a small residual update lets the input token's own row dominate its logits, so greedy output
# just repeats it; these scales keep random models' greedy text varied (few immediate repeats).
SCALES_PRE_LN = (2.0, 4.0)
SCALES_POST_LN = (1.0, 1.0)


def bytes_to_unicode():
    """GPT-2's reversible byte -> printable unicode character table."""
    bs = (list(range(ord("!"), ord("~") + 1)) + list(range(ord("\u00a1"), ord("\u00ac") + 1)) +
          list(range(ord("\u00ae"), ord("\u00ff") + 1)))
    cs = bs[:]
    n = 0
    for b in range(256):
        if b not in bs:
            bs.append(b)
            cs.append(256 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def train_bpe(corpus, n_merges):
    """Learns n_merges byte-level BPE merges on corpus. Returns (merges, byte_symbols).

    Words are GPT-2 pre-tokens mapped to byte symbols; each round merges the most frequent
    adjacent pair (ties: smallest pair), left to right, as GPT-2's encoder later applies it."""
    b2u = bytes_to_unicode()
    byte_symbols = list(b2u.values())
    counts = collections.Counter()
    for word in GPT2_PATTERN.findall(corpus):
        counts[tuple(b2u[b] for b in word.encode("utf-8"))] += 1
    words = dict(counts)
    merges = []
    for _ in range(n_merges):
        pairs = collections.Counter()
        for word, c in words.items():
            for pair in zip(word, word[1:]):
                pairs[pair] += c
        if not pairs:
            break
        best = min(pairs.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        merges.append(best)
        merged = best[0] + best[1]
        new_words = {}
        for word, c in words.items():
            out, i = [], 0
            while i < len(word):
                if i + 1 < len(word) and word[i] == best[0] and word[i + 1] == best[1]:
                    out.append(merged)
                    i += 2
                else:
                    out.append(word[i])
                    i += 1
            key = tuple(out)
            new_words[key] = new_words.get(key, 0) + c
        words = new_words
    return merges, byte_symbols


def build_vocab(n_merges):
    merges, byte_symbols = train_bpe(CORPUS, n_merges)
    vocab = {}
    for tok in SPECIAL_TOKENS + byte_symbols:
        vocab[tok] = len(vocab)
    for a, b in merges:
        if a + b not in vocab:  # two merge paths can yield the same string: one id
            vocab[a + b] = len(vocab)
    return vocab, merges


def make_config(args, vocab_size):
    proj = args.word_embed_proj_dim
    return {
        "_name_or_path": "strata-tiny-opt",
        "_remove_final_layer_norm": False,
        "activation_dropout": 0.0,
        "activation_function": "relu",
        "architectures": ["OPTForCausalLM"],
        "attention_dropout": 0.0,
        "bos_token_id": BOS_ID,
        "do_layer_norm_before": not args.post_ln,
        "dropout": 0.0,
        "enable_bias": True,
        "eos_token_id": EOS_ID,
        "ffn_dim": args.ffn,
        "hidden_size": args.hidden,
        "init_std": 0.02,
        "layer_norm_elementwise_affine": True,
        "layerdrop": 0.0,
        "max_position_embeddings": args.max_positions,
        "model_type": "opt",
        "num_attention_heads": args.heads,
        "num_hidden_layers": args.layers,
        "pad_token_id": PAD_ID,
        "prefix": "</s>",
        "tie_word_embeddings": not args.untied,
        "torch_dtype": {"f32": "float32", "f16": "float16", "bf16": "bfloat16"}[args.dtype],
        "transformers_version": "4.40.0",
        "use_cache": True,
        "vocab_size": vocab_size,
        "word_embed_proj_dim": proj,
    }


def build_tensors(cfg, n_tokens, seed, eos_scale=1.0):
    """Random OPT weights as float32 arrays, name -> array, names with the "model." prefix.

    n_tokens: how many vocabulary rows have a token; rows n_tokens..vocab_size-1 are zero.
    eos_scale: scale of the eos row of embed_tokens / lm_head (> 1: greedy emits eos more often).
    """
    return collections.OrderedDict(iter_tensors(cfg, n_tokens, seed, eos_scale))


def iter_tensors(cfg, n_tokens, seed, eos_scale=1.0):
    """build_tensors one tensor at a time, (name, float32 array) in storage order, so that a
    checkpoint of a real geometry (billions of values) is written without holding it all."""
    rng = np.random.default_rng(seed)
    V, H, P = cfg["vocab_size"], cfg["hidden_size"], cfg["word_embed_proj_dim"]
    F, L = cfg["ffn_dim"], cfg["num_hidden_layers"]
    f32 = np.float32
    pos_std, out_gain = SCALES_PRE_LN if cfg["do_layer_norm_before"] else SCALES_POST_LN

    def normal(shape, std):
        return (rng.standard_normal(shape) * std).astype(f32)

    def ln(prefix):
        yield prefix + ".weight", (1.0 + normal((H,), 0.1)).astype(f32)
        yield prefix + ".bias", normal((H,), 0.05)

    def token_rows(shape):
        # logits = h . row with h ~ unit per element, so std 2.5/sqrt(P) gives logit std ~2.5.
        w = normal(shape, 2.5 / math.sqrt(P))
        w[n_tokens:] = 0.0
        for i in (0, 1, 3):  # <s>, <pad>, <unk>: keep them out of greedy output
            w[i] *= ROW_SHRINK_SPECIAL
        w[EOS_ID] *= eos_scale
        return w

    d = "model.decoder."
    yield d + "embed_tokens.weight", token_rows((V, P))
    yield d + "embed_positions.weight", normal((cfg["max_position_embeddings"] + 2, H), pos_std)
    if P != H:
        yield d + "project_in.weight", normal((H, P), 1.0 / math.sqrt(P))
        yield d + "project_out.weight", normal((P, H), 1.0 / math.sqrt(H))
    if cfg["do_layer_norm_before"] and not cfg["_remove_final_layer_norm"]:
        yield from ln(d + "final_layer_norm")
    for i in range(L):
        p = f"{d}layers.{i}."
        for name in ("q_proj", "k_proj", "v_proj", "out_proj"):
            gain = out_gain if name == "out_proj" else 1.0
            yield p + f"self_attn.{name}.weight", normal((H, H), gain / math.sqrt(H))
            yield p + f"self_attn.{name}.bias", normal((H,), 0.05)
        yield from ln(p + "self_attn_layer_norm")
        yield p + "fc1.weight", normal((F, H), 1.0 / math.sqrt(H))
        yield p + "fc1.bias", normal((F,), 0.05)
        yield p + "fc2.weight", normal((H, F), out_gain * math.sqrt(2.0 / F))
        yield p + "fc2.bias", normal((H,), 0.05)
        yield from ln(p + "final_layer_norm")
    if not cfg["tie_word_embeddings"]:
        yield "lm_head.weight", token_rows((V, P))


def float32_to_bf16_bits(a):
    """Round-to-nearest-even float32 -> bfloat16, as uint16 bit patterns."""
    bits = np.ascontiguousarray(a, dtype=np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) >> 16
    return rounded.astype(np.uint16)


def encode_tensor(a, dtype):
    """(safetensors dtype string, shape, raw little-endian bytes) of array a stored as dtype.

    dtype: "f32", "f16", "bf16", or any safetensors dtype string with a numpy equivalent
    ("F64", "I8", ...), which tests use to write unsupported tensors."""
    a = np.asarray(a)
    if dtype in ("f32", "F32"):
        return "F32", list(a.shape), a.astype("<f4").tobytes()
    if dtype in ("f16", "F16"):
        return "F16", list(a.shape), a.astype("<f2").tobytes()
    if dtype in ("bf16", "BF16"):
        return "BF16", list(a.shape), float32_to_bf16_bits(a).astype("<u2").tobytes()
    np_types = {"F64": "<f8", "I8": "i1", "U8": "u1", "I16": "<i2", "I32": "<i4", "I64": "<i8"}
    return dtype, list(a.shape), a.astype(np_types[dtype]).tobytes()


def write_safetensors(path, entries, metadata=None):
    """Writes a safetensors file. entries: list of (name, dtype_str, shape, raw_bytes), stored
    contiguously in that order. Header: u64 little-endian length, then JSON padded with spaces
    to a multiple of 8 bytes."""
    header = {}
    if metadata is not None:
        header["__metadata__"] = metadata
    offset = 0
    for name, dtype, shape, raw in entries:
        header[name] = {"dtype": dtype, "shape": list(shape),
                        "data_offsets": [offset, offset + len(raw)]}
        offset += len(raw)
    blob = json.dumps(header, separators=(",", ":")).encode("utf-8")
    blob += b" " * (-len(blob) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(blob)))
        f.write(blob)
        for _, _, _, raw in entries:
            f.write(raw)
    return offset


def split_shards(entries, n):
    """Splits entries (in order) into n non-empty groups of roughly equal byte size."""
    n = max(1, min(n, len(entries)))
    total = sum(len(e[3]) for e in entries)
    groups, cur, acc = [], [], 0
    for i, e in enumerate(entries):
        cur.append(e)
        acc += len(e[3])
        left_entries = len(entries) - i - 1
        left_groups = n - len(groups) - 1
        if left_groups > 0 and (acc >= total * (len(groups) + 1) / n or
                                left_entries == left_groups):
            groups.append(cur)
            cur = []
    groups.append(cur)
    return [g for g in groups if g]


def write_weights(out_dir, tensors, dtype, shards=1, prefix=True, metadata=True):
    """Writes tensors (name -> array) as model.safetensors or N shards plus the index."""
    entries = []
    for name, a in tensors.items():
        if not prefix and name.startswith("model."):
            name = name[len("model."):]
        entries.append((name,) + encode_tensor(a, dtype))
    meta = {"format": "pt"} if metadata else None
    if shards <= 1:
        write_safetensors(os.path.join(out_dir, "model.safetensors"), entries, meta)
        return ["model.safetensors"]
    groups = split_shards(entries, shards)
    n = len(groups)
    weight_map, files = {}, []
    for i, group in enumerate(groups):
        fname = f"model-{i + 1:05d}-of-{n:05d}.safetensors"
        write_safetensors(os.path.join(out_dir, fname), group, meta)
        files.append(fname)
        for e in group:
            weight_map[e[0]] = fname
    index = {"metadata": {"total_size": sum(len(e[3]) for e in entries)},
             "weight_map": dict(sorted(weight_map.items()))}
    with open(os.path.join(out_dir, "model.safetensors.index.json"), "w") as f:
        json.dump(index, f, indent=2)
        f.write("\n")
    return files


def write_tokenizer(out_dir, vocab, merges):
    with open(os.path.join(out_dir, "vocab.json"), "w", encoding="utf-8") as f:
        json.dump(vocab, f, ensure_ascii=False)
    with open(os.path.join(out_dir, "merges.txt"), "w", encoding="utf-8") as f:
        f.write("#version: 0.2\n")
        for a, b in merges:
            f.write(f"{a} {b}\n")
    special = {
        "bos_token": {"content": "</s>", "lstrip": False, "normalized": True, "rstrip": False,
                      "single_word": False},
        "eos_token": {"content": "</s>", "lstrip": False, "normalized": True, "rstrip": False,
                      "single_word": False},
        "pad_token": {"content": "<pad>", "lstrip": False, "normalized": True, "rstrip": False,
                      "single_word": False},
        "unk_token": {"content": "</s>", "lstrip": False, "normalized": True, "rstrip": False,
                      "single_word": False},
    }
    with open(os.path.join(out_dir, "special_tokens_map.json"), "w") as f:
        json.dump(special, f, indent=2)
        f.write("\n")
    tok_cfg = {"add_bos_token": True, "add_prefix_space": False, "bos_token": "</s>",
               "eos_token": "</s>", "pad_token": "<pad>", "unk_token": "</s>",
               "errors": "replace", "model_max_length": 1000000000000000019884624838656,
               "tokenizer_class": "GPT2Tokenizer"}
    with open(os.path.join(out_dir, "tokenizer_config.json"), "w") as f:
        json.dump(tok_cfg, f, indent=2)
        f.write("\n")


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="output directory (created)")
    p.add_argument("--layers", type=int, default=2)
    p.add_argument("--hidden", type=int, default=64)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--ffn", type=int, default=None, help="default 2 * hidden")
    p.add_argument("--max-positions", type=int, default=128)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--dtype", choices=["f32", "f16", "bf16"], default="f32")
    p.add_argument("--shards", type=int, default=1)
    p.add_argument("--post-ln", action="store_true",
                   help="do_layer_norm_before false (opt-350m shape: projections, no final LN)")
    p.add_argument("--word-embed-proj-dim", type=int, default=None,
                   help="default hidden, or hidden/2 with --post-ln")
    p.add_argument("--no-prefix", action="store_true", help='tensor names without "model."')
    p.add_argument("--untied", action="store_true", help="a separate lm_head.weight")
    p.add_argument("--no-metadata", action="store_true",
                   help='no "__metadata__" entry in the safetensors headers')
    p.add_argument("--vocab-merges", type=int, default=90)
    p.add_argument("--eos-scale", type=float, default=1.0,
                   help="scale of the eos embedding row; > 1 makes greedy emit eos more often")
    args = p.parse_args(argv)
    if args.ffn is None:
        args.ffn = 2 * args.hidden
    if args.word_embed_proj_dim is None:
        args.word_embed_proj_dim = args.hidden // 2 if args.post_ln else args.hidden
    if args.hidden % args.heads:
        p.error("--hidden must be a multiple of --heads")
    return args


def make_model(out, **kw):
    """Writes a model into directory out; keyword arguments are the CLI options with
    underscores (layers=2, dtype="f16", post_ln=True, shards=3, ...). Returns the config dict."""
    argv = ["--out", str(out)]
    for key, value in kw.items():
        flag = "--" + key.replace("_", "-")
        if value is True:
            argv.append(flag)
        elif value is False or value is None:
            continue
        else:
            argv += [flag, str(value)]
    return run(parse_args(argv))


def run(args):
    os.makedirs(args.out, exist_ok=True)
    vocab, merges = build_vocab(args.vocab_merges)
    vocab_size = (len(vocab) + 7) // 8 * 8
    cfg = make_config(args, vocab_size)
    tensors = build_tensors(cfg, len(vocab), args.seed, args.eos_scale)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(cfg, f, indent=2, sort_keys=True)
        f.write("\n")
    write_weights(args.out, tensors, args.dtype, args.shards, prefix=not args.no_prefix,
                  metadata=not args.no_metadata)
    write_tokenizer(args.out, vocab, merges)
    return cfg


def main(argv=None):
    args = parse_args(argv)
    cfg = run(args)
    print(f"wrote {args.out}: {cfg['num_hidden_layers']} layers, hidden {cfg['hidden_size']}, "
          f"vocab {cfg['vocab_size']}, {args.dtype}, shards {args.shards}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
