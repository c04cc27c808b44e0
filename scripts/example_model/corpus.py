"""The training corpus: Debian's fortune-cookie database (packages `fortunes`,
`fortunes-min`), read as one cleaned string per fortune.

A fortune file is plain text whose entries are separated by lines holding only
`%`.  Beside each one Debian installs `NAME.dat` (strfile's binary offset
index) and `NAME.u8` (a symlink to NAME), so only regular files without those
suffixes are read.  A file is decoded as UTF-8, or as Latin-1 where it is not
valid UTF-8.  `clean_fortune` then normalises each entry; entries that are not
mostly letters (`looks_like_prose`) and exact duplicates are dropped.
"""

import collections
import os
import sys
import unicodedata

import regex

DEFAULT_CORPUS_DIR = "/usr/share/games/fortunes"
# ascii-art is pictures, not prose.
DEFAULT_EXCLUDE = ["ascii-art"]


def list_fortune_files(corpus_dir, exclude):
    names = []
    for name in sorted(os.listdir(corpus_dir)):
        path = os.path.join(corpus_dir, name)
        if name.endswith(".dat") or name.endswith(".u8"):
            continue
        if os.path.islink(path) or not os.path.isfile(path):
            continue
        if name in exclude:
            continue
        names.append(name)
    return names


def read_raw(path):
    data = open(path, "rb").read()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


_SPACES = regex.compile(r"[ \t]+")
_OVERSTRIKE = regex.compile(r".\x08")


def clean_fortune(text):
    """Normalises one fortune: drops overstrikes and control characters,
    re-flows hard-wrapped prose into one line per paragraph (short lines such
    as verse are kept), strips indentation and collapses runs of spaces."""
    text = _OVERSTRIKE.sub("", text)
    text = unicodedata.normalize("NFC", text.replace("\r", ""))
    text = "".join(
        ch for ch in text
        if ch == "\n" or ch == "\t" or not unicodedata.category(ch).startswith("C")
    )
    out = []  # list of [cleaned line, raw width of its last physical line]
    for raw in text.split("\n"):
        raw = raw.rstrip()
        line = _SPACES.sub(" ", raw).strip()
        width = len(raw.expandtabs(8))
        indented = raw[:1] in (" ", "\t")
        if (out and line and out[-1][0] and not indented
                and out[-1][1] >= 55 and not line.startswith("--")):
            out[-1][0] += " " + line
            out[-1][1] = width
        else:
            out.append([line, width])
    lines = [l for l, _ in out]
    text = "\n".join(lines).strip("\n")
    text = regex.sub(r"\n{3,}", "\n\n", text)
    return text


def looks_like_prose(text):
    if len(text) < 12:
        return False
    letters = sum(1 for ch in text if ch.isalpha() or ch == " ")
    return letters / len(text) >= 0.7


def load_corpus(corpus_dir, exclude):
    files = list_fortune_files(corpus_dir, exclude)
    if not files:
        sys.exit("no fortune files under %s: apt-get install fortunes fortunes-min" % corpus_dir)
    docs, seen, stats = [], set(), collections.Counter()
    for name in files:
        raw = read_raw(os.path.join(corpus_dir, name))
        for chunk in regex.split(r"(?m)^%\s*$", raw):
            stats["raw"] += 1
            text = clean_fortune(chunk)
            if not looks_like_prose(text):
                stats["not_prose"] += 1
                continue
            if text in seen:
                stats["duplicate"] += 1
                continue
            seen.add(text)
            docs.append(text)
    return files, docs, stats
