#!/usr/bin/python3
"""Results are never mixed and changed files are never trusted (issue 16, point 2):
  - a job interrupted with SIGTERM, whose model weights are then rewritten with the old
    modification time put back, is refused on --resume naming model_identity (before: the
    journal was accepted and the output mixed old and new weights' results);
  - --input from a pipe (a FIFO path) resumed onto other content is refused (the digest of the
    bytes the job actually read changed);
  - a converted store whose config.json or vocab.json was edited after conversion is refused
    by `strata run` with one line naming the side file (before: exit 0 and other text);
  - a journal with an injected entry (a request outside the job, another request's line, a
    request twice) or a garbage line is refused naming the journal, never an extra output line;
  - a checkpoint with a layer config.json does not declare, a NaN among the weights, and an
    eos_token_id outside the embedding table, an empty merges.txt: one line naming the tensor or the field (before:
    garbage tokens, exit 0);
  - a weight byte flipped in a store is caught by the CRC32C check of the read that brings the
    whole tensor in (weights on disk), naming the tensor, exit 1;
  - `convert --verify` finds a tensor dropped from the manifest and a changed shape (checksums
    alone passed them), naming the tensor.
"""

import json
import os
import re
import shutil
import signal
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402
from common import Checker, check_one_error_line, make_model, run_strata  # noqa: E402

N = 48


def start_job(model, inp, out, extra=()):
    cmd = [common.strata_bin(), "run", "--model", model, "--input", inp, "--output", out,
           "--batch-size", 2, "--quiet"] + list(extra)
    return subprocess.Popen([str(c) for c in cmd], stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def interrupt_after_journal(proc, journal, what, ck):
    """SIGTERM once the journal holds a finished line; True when the job was cut mid-way."""
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        if os.path.exists(journal):
            with open(journal) as f:
                if len(f.read().splitlines()) >= 2:
                    break
        time.sleep(0.01)
    proc.send_signal(signal.SIGTERM)
    proc.communicate(timeout=60)
    return ck.check(proc.returncode == 130 and os.path.exists(journal),
                    f"{what}: interrupted with its journal kept", f"exit {proc.returncode}")


def swap_two_ids(text):
    """vocab.json with the ids of two tokens exchanged: still a valid vocabulary."""
    vocab = json.loads(text)
    a, b = list(vocab)[10], list(vocab)[11]
    vocab[a], vocab[b] = vocab[b], vocab[a]
    return json.dumps(vocab, ensure_ascii=False)


def main():
    ck = Checker("never mixed")
    common.strata_bin()
    with common.tempdir("mixed") as tmp:
        model = make_model(tmp, "m", layers=2, hidden=64, heads=4, ffn=128, seed=31)
        reqs = [{"id": f"r{i}", "prompt": f"Line {i} of the job", "max_tokens": 24}
                for i in range(N)]
        inp = os.path.join(tmp, "in.jsonl")
        common.write_jsonl(inp, reqs)

        # Weights rewritten under the journal, old mtime restored.
        out = os.path.join(tmp, "out.jsonl")
        journal = out + ".journal"
        if interrupt_after_journal(start_job(model, inp, out), journal, "job", ck):
            # Edited or injected journal lines are refused, never an extra or misplaced line.
            with open(journal) as f:
                original = f.read()
            entry = json.loads(original.splitlines()[1])
            for what, text in (
                    ("an injected entry for a request outside the job",
                     original + json.dumps({"index": N + 5, "line": entry["line"]}) + "\n"),
                    ("an entry whose id was edited", original + json.dumps(
                        {"index": entry["index"] + 1 if entry["index"] + 1 < N else 0,
                         "line": entry["line"]}) + "\n"),
                    ("a line of garbage in the middle",
                     original.replace("\n", "\nnot json at all\n", 2)),
                    ("one request recorded twice",
                     original + original.splitlines()[1] + "\n")):
                with open(journal, "w") as f:
                    f.write(text)
                p = run_strata(["run", "--model", model, "--input", inp, "--output", out,
                                "--resume", "--quiet"])
                check_one_error_line(ck, p, f"journal with {what}", [".journal", "edited"],
                                     exit_code=2)
            with open(journal, "w") as f:
                f.write(original)
            weights = os.path.join(model, "model.safetensors")
            st = os.stat(weights)
            with open(weights, "rb") as f:
                data = bytearray(f.read())
            data[-8:] = bytes(8)  # the last weights' bytes, same size
            with open(weights, "wb") as f:
                f.write(data)
            os.utime(weights, ns=(st.st_atime_ns, st.st_mtime_ns))
            p = run_strata(["run", "--model", model, "--input", inp, "--output", out,
                            "--resume", "--quiet"])
            check_one_error_line(ck, p, "--resume after the weights were rewritten",
                                 ["model_identity", "another job"], exit_code=2)
            ck.check(not os.path.exists(out), "rewritten weights: no output mixing two models")

        # A pipe's content changes between the run and its resume.
        fifo = os.path.join(tmp, "requests.fifo")
        os.mkfifo(fifo)
        out2 = os.path.join(tmp, "out2.jsonl")
        proc = start_job(model, fifo, out2)
        with open(fifo, "w") as f:
            f.write("".join(json.dumps(r) + "\n" for r in reqs))
        if interrupt_after_journal(proc, out2 + ".journal", "job reading a FIFO", ck):
            proc = start_job(model, fifo, out2, ["--resume"])
            with open(fifo, "w") as f:
                f.write("".join(json.dumps(dict(r, prompt=r["prompt"] + "!")) + "\n"
                                for r in reqs))
            _, err = proc.communicate(timeout=60)
            err = err.decode()
            ck.check(proc.returncode == 2 and "input file changed" in err and
                     len(err.splitlines()) == 1,
                     "--resume from a FIFO with other content: refused, the input changed",
                     f"exit {proc.returncode}: {err[:300]!r}")

        # A checkpoint that config.json does not describe, and a NaN among the weights.
        small = [{"id": "a", "prompt": "Hello", "max_tokens": 3}]
        fewer = os.path.join(tmp, "fewer-layers")
        shutil.copytree(model, fewer)
        with open(os.path.join(fewer, "config.json")) as f:
            cfg = json.load(f)
        cfg["num_hidden_layers"] = 1
        with open(os.path.join(fewer, "config.json"), "w") as f:
            json.dump(cfg, f)
        p, _ = common.run_requests(fewer, small, tmp)
        check_one_error_line(ck, p, "config.json declares 1 layer, the checkpoint has 2",
                             ["decoder.layers.1.", "num_hidden_layers"], exit_code=2)
        big_eos = os.path.join(tmp, "eos-outside")
        shutil.copytree(model, big_eos)
        with open(os.path.join(big_eos, "config.json")) as f:
            cfg = json.load(f)
        cfg["eos_token_id"] = cfg["vocab_size"] + 7
        with open(os.path.join(big_eos, "config.json"), "w") as f:
            json.dump(cfg, f)
        p, _ = common.run_requests(big_eos, small, tmp)
        check_one_error_line(ck, p, "eos_token_id outside the embedding table",
                             ["config.json", "eos_token_id", "vocab_size"], exit_code=2)
        no_merges = os.path.join(tmp, "empty-merges")
        shutil.copytree(model, no_merges)
        open(os.path.join(no_merges, "merges.txt"), "w").close()
        p, _ = common.run_requests(no_merges, small, tmp)
        check_one_error_line(ck, p, "an empty merges.txt", ["merges.txt", "empty"], exit_code=2)
        nan = os.path.join(tmp, "nan-weight")
        shutil.copytree(model, nan)
        path = os.path.join(nan, "model.safetensors")
        with open(path, "r+b") as f:
            header_len = struct.unpack("<Q", f.read(8))[0]
            header = json.loads(f.read(header_len))
            name = "decoder.layers.1.fc1.weight"
            key = name if name in header else "model." + name
            begin = header[key]["data_offsets"][0]
            f.seek(8 + header_len + begin + 4 * 7)
            f.write(struct.pack("<I", 0x7FC00000))  # f32 NaN as element 7
        p, _ = common.run_requests(nan, small, tmp)
        check_one_error_line(ck, p, "a NaN in a weight", ["fc1.weight", "element 7", "NaN"],
                             exit_code=2)

        # Side files of a store edited after conversion.
        store = os.path.join(tmp, "store")
        p = run_strata(["convert", "--model", model, "--out", store])
        ck.check(p.returncode == 0, "convert", common.describe(p))
        small = [{"id": "a", "prompt": "Hello", "max_tokens": 3}]
        for side, edit in (("config.json", lambda t: t.replace('"eos_token_id": 2',
                                                                '"eos_token_id": 3')),
                           ("vocab.json", swap_two_ids)):
            path = os.path.join(store, side)
            with open(path) as f:
                original = f.read()
            changed = edit(original)
            ck.check(changed != original, f"{side}: the edit changes the file")
            with open(path, "w") as f:
                f.write(changed)
            p, _ = common.run_requests(store, small, tmp)
            check_one_error_line(ck, p, f"edited {side} in a store", [side, "checksum"],
                                 exit_code=2)
            with open(path, "w") as f:
                f.write(original)
        p, got = common.run_requests(store, small, tmp)
        ck.check(p.returncode == 0 and got is not None, "the restored store runs",
                 common.describe(p))

        # A weight byte flipped in the store: the read that brings the whole tensor in checks
        # its CRC32C (weights on disk: every step) and stops the job naming the tensor.
        with open(os.path.join(store, "manifest.yaml")) as f:
            fc1 = next(x for x in f.read().splitlines() if "decoder.layers.1.fc1.weight" in x)
        offset = int(re.search(r"offset: (\d+)", fc1).group(1))
        data = os.path.join(store, re.search(r"file: ([^,]+)", fc1).group(1))
        with open(data, "r+b") as f:
            f.seek(offset + 3)
            byte = f.read(1)
            f.seek(offset + 3)
            f.write(bytes([byte[0] ^ 0x20]))
        p, _ = common.run_requests(store, small, tmp, ["--percent", 0, 0, 100, 0, 100, 0,
                                                       "--offload-dir", tmp])
        check_one_error_line(ck, p, "a flipped weight byte in a store, weights on disk",
                             ["decoder.layers.1.fc1.weight", "checksum mismatch"], exit_code=1)
        with open(data, "r+b") as f:
            f.seek(offset + 3)
            f.write(byte)

        # convert --verify checks the manifest against config.json.
        manifest = os.path.join(store, "manifest.yaml")
        with open(manifest) as f:
            text = f.read()
        lines = text.splitlines(keepends=True)
        dropped = [x for x in lines if "decoder.layers.1.fc2.bias" in x]
        ck.check(len(dropped) == 1, "the manifest lists decoder.layers.1.fc2.bias once")
        with open(manifest, "w") as f:
            f.write("".join(x for x in lines if x not in dropped))
        p = run_strata(["convert", "--verify", store])
        ck.check(p.returncode == 1 and re.search(r"decoder\.layers\.1\.fc2\.bias: missing",
                                                 p.stdout) is not None,
                 "convert --verify: a tensor dropped from the manifest is named",
                 common.describe(p) + p.stdout[-400:])
        with open(manifest, "w") as f:
            f.write(text)
        p = run_strata(["convert", "--verify", store])
        ck.check(p.returncode == 0, "convert --verify: the restored manifest passes",
                 common.describe(p) + p.stdout[-400:])
    ck.finish()


if __name__ == "__main__":
    main()
