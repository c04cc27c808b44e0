#!/usr/bin/python3
"""strata plan and strata profile through the binary: a plan's report and YAML, policies that move
with the capacities (everything fits -> all on the device; a tiny device -> weights off it), one
clear error line for impossible capacities and bad flags, and a measured profile that plan accepts.
The planner's arithmetic itself is tested in tests/planner."""
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import common  # noqa: E402

T4 = ["--hardware", "t4-flexgen"]


def placement(stdout, what):
    """The (device, host, disk) percentages of a row ('weights', 'KV cache') of plan's table."""
    m = re.search(rf"^\s*{what}\s+([\d.]+)%\s+([\d.]+)%\s+([\d.]+)%", stdout, re.M)
    return tuple(float(x) for x in m.groups()) if m else None


def yaml_fields(path):
    fields = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            if ":" in line and not line.startswith(" "):
                key, value = line.split(":", 1)
                fields[key.strip()] = value.strip()
    return fields


def check_plans(ck, tmp):
    p = common.run_strata(["plan", "--dummy", "opt-30b", *T4, "--prompt-len", 512, "--gen-len", 32])
    if ck.check(p.returncode == 0, "plan opt-30b on FlexGen's T4 succeeds", common.describe(p)):
        for part in ("policy: gpu_batch_size", "predicted by the cost model", "prefill", "decode",
                     "total", "peak memory per tier", "FlexGen --percent"):
            ck.check(part in p.stdout, f"the report shows {part!r}", p.stdout[:600])
        w = placement(p.stdout, "weights")
        ck.check(w is not None and w[0] < 100.0, "opt-30b's weights do not all fit a 16 GB T4", str(w))

    # Everything fits: all on the device.
    p = common.run_strata(["plan", "--dummy", "opt-125m", *T4, "--prompt-len", 64, "--gen-len", 8,
                           "--num-requests", 16])
    if ck.check(p.returncode == 0, "plan opt-125m succeeds", common.describe(p)):
        ck.check(placement(p.stdout, "weights") == (100.0, 0.0, 0.0),
                 "opt-125m with 16 requests: weights all on the device", p.stdout[:600])
        ck.check(placement(p.stdout, "KV cache") == (100.0, 0.0, 0.0),
                 "opt-125m with 16 requests: KV cache all on the device", p.stdout[:600])

    # A device too small for the weights: they move to the host.
    p = common.run_strata(["plan", "--dummy", "opt-1.3b", *T4, "--device-mem", "1GiB",
                           "--prompt-len", 64, "--gen-len", 8])
    if ck.check(p.returncode == 0, "plan opt-1.3b in 1 GiB of device memory", common.describe(p)):
        w = placement(p.stdout, "weights")
        ck.check(w is not None and w[0] < 50.0, "most weights leave a 1 GiB device", str(w))

    # -o writes YAML with every field `run --policy` reads.
    out = os.path.join(tmp, "policy.yaml")
    p = common.run_strata(["plan", "--dummy", "opt-6.7b", *T4, "--compress-weight", "-o", out])
    if ck.check(p.returncode == 0 and os.path.isfile(out), "plan -o writes the policy",
                common.describe(p)):
        f = yaml_fields(out)
        for key in ("gpu_batch_size", "num_gpu_batches", "weights", "cache", "activations",
                    "cpu_attention", "compress_weight", "compress_cache", "overlap"):
            ck.check(key in f, f"policy YAML has {key}", str(f))
        ck.check(f.get("compress_weight") == "q4", "--compress-weight plans 4-bit weights", str(f))


def check_errors(ck):
    p = common.run_strata(["plan", "--dummy", "opt-175b", *T4, "--device-mem", "1GiB",
                           "--host-mem", "2GiB", "--disk-mem", "10GB"])
    common.check_one_error_line(ck, p, "impossible capacities", ["opt-175b", "short by"], exit_code=2)
    p = common.run_strata(["plan", *T4])
    common.check_one_error_line(ck, p, "no model", ["--model", "--dummy"], exit_code=2)
    p = common.run_strata(["plan", "--dummy", "opt-7b", *T4])
    common.check_one_error_line(ck, p, "unknown preset", ["opt-7b"], exit_code=2)
    p = common.run_strata(["plan", "--dummy", "opt-125m", *T4, "--device-mem", "lots"])
    common.check_one_error_line(ck, p, "bad size", ["--device-mem", "lots"], exit_code=2)
    p = common.run_strata(["plan", "--dummy", "opt-125m", "--hardware", "/nonexistent.yaml"])
    common.check_one_error_line(ck, p, "missing profile", ["/nonexistent.yaml"], exit_code=2)
    p = common.run_strata(["plan", "--dummy", "opt-125m", *T4, "--prompt-len", 2040,
                           "--gen-len", 32])
    common.check_one_error_line(ck, p, "sequence past max positions", ["2048"], exit_code=2)


def check_profile(ck, tmp):
    out = os.path.join(tmp, "hw.yaml")
    p = common.run_strata(["profile", "--offload-dir", tmp, "-o", out, "--backend", "cpu"],
                          timeout=120)
    if not ck.check(p.returncode == 0 and os.path.isfile(out), "profile writes a YAML file",
                    common.describe(p)):
        return
    ck.check(not [n for n in os.listdir(tmp) if n.startswith("strata-profile-")],
             "profile removes its disk test file", str(os.listdir(tmp)))
    f = yaml_fields(out)
    for key in ("host_to_device_bytes_per_s", "disk_read_bytes_per_s", "disk_write_bytes_per_s",
                "device_gemm_prefill_flops", "device_gemm_decode_flops",
                "host_attention_bytes_per_s", "device_capacity", "host_capacity", "disk_capacity"):
        ck.check(key in f, f"profile has {key}", str(f))
    rate = f.get("disk_read_bytes_per_s", "0")
    ck.check(float(rate.split()[0]) > 1e6 if rate else False, "disk read rate is measured (> 1 MB/s)",
             rate)
    p = common.run_strata(["plan", "--dummy", "opt-125m", "--hardware", out, "--prompt-len", 32,
                           "--gen-len", 8])
    ck.check(p.returncode == 0 and p.stderr == "", "plan accepts the measured profile silently",
             common.describe(p))
    p = common.run_strata(["profile", "--offload-dir", os.path.join(tmp, "missing"), "-o", out])
    common.check_one_error_line(ck, p, "profile with a missing offload dir", ["missing"],
                                exit_code=2)


def main():
    ck = common.Checker("test_plan_profile")
    with common.tempdir("plan") as tmp:
        check_plans(ck, tmp)
        check_errors(ck)
        check_profile(ck, tmp)
    ck.finish()


if __name__ == "__main__":
    main()
