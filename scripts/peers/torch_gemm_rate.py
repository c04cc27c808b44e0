#!/usr/bin/python3
"""FLOP/s of torch's float32 linear (y = x · wᵀ + b) on given shapes, for choosing the peer's
best kernel: run once per candidate (OPENBLAS_CORETYPE in the environment, --linear blas or
onednn), the fastest is the peer's "best".

    torch_gemm_rate.py [--threads N] [--linear blas|onednn] [--reps 3] M,K,N [M,K,N ...]

Prints one JSON line: {"linear", "openblas_coretype", "openblas_corename", "threads", "shapes": [{"m", "k", "n",
"flops_per_s"}]}, each the best of --reps timed runs after one warm-up.
"""

import argparse
import json
import os
import sys
import time


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("shapes", nargs="+", help="M,K,N: x is [M, K], w is [N, K]")
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--linear", choices=["blas", "onednn"], default="blas")
    p.add_argument("--reps", type=int, default=3)
    a = p.parse_args(argv)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS"):  # before torch loads
        os.environ[var] = str(a.threads)
    import torch
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from opt_forward import Linear, openblas_corename

    torch.set_num_threads(a.threads)
    rows = []
    with torch.inference_mode():
        for shape in a.shapes:
            try:
                m, k, n = (int(v) for v in shape.split(","))
            except ValueError:
                p.error(f"shape {shape!r}: not M,K,N")
            x, lin = torch.randn(m, k), Linear(torch.randn(n, k) * k ** -0.5, torch.randn(n),
                                               a.linear)
            lin(x)
            best = float("inf")
            for _ in range(a.reps):
                t0 = time.perf_counter()
                lin(x)
                best = min(best, time.perf_counter() - t0)
            rows.append({"m": m, "k": k, "n": n, "flops_per_s": 2.0 * m * k * n / best})
    print(json.dumps({"linear": a.linear, "openblas_coretype":
                      os.environ.get("OPENBLAS_CORETYPE", "") or "library default",
                      "openblas_corename": openblas_corename(),
                      "threads": a.threads, "shapes": rows}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
