#!/usr/bin/env bash
# Runs every GPU test and the GPU benchmarks on a machine with an NVIDIA GPU and its driver but
# none of Strata's Debian packages, from a build made on a Debian machine and carried over
# (the device tool's `carry`). Writes logs and a results table into the folder given.
#
#   scripts/device-check.sh OUT_DIR [BUILD_DIR]      (BUILD_DIR defaults to build)
#
# Shared libraries the GPU machine lacks (OpenBLAS, liburing, yaml-cpp, GLPK, ...) travel in
# BUILD_DIR/lib: scripts/pack-device-build.sh makes such a folder (build-device) from a build,
# stripped to fit the carry limit; LD_LIBRARY_PATH points at them. cuBLAS is linked statically
# where the toolkit has libcublas_static.a; otherwise the shared libcublas comes from the GPU
# machine's own CUDA toolkit (or the nvidia-cublas Python wheel), found below.
# GPU tests (ctest label gpu): strata_test_quant_cuda (quant kernels), strata_test_ops_cuda (the op
# harness, tests/ops/, on the CUDA backends: every op against float64, GQA, windows, the
# device/host attention merge, store_rows), strata_test_cuda_backend (the CUDA backend's memory
# and ordering primitives), strata_test_cuda_executor (the offloading executor on CUDA: device
# memory, the invariance grid). GPU benchmarks:
# strata profile --backend cuda, then strata bench --dummy opt-6.7b (and opt-30b where the disk
# holds its 60 GB f16 dummy store) at prompt 512, gen 32, device memory capped at 16 GiB (a T4)
# and uncapped. Not yet run on a GPU machine (no session had one). Exit code: 0 when every GPU
# test passed, 1 otherwise, 2 when the set-up is wrong (no GPU, no build).
set -uo pipefail
out="${1:?usage: scripts/device-check.sh OUT_DIR [BUILD_DIR]}"
build="${2:-build}"
mkdir -p "$out"
out="$(cd "$out" && pwd)"  # absolute: the script moves to the repository root next
cd "$(dirname "$0")/.."

if ! command -v nvidia-smi >/dev/null || ! nvidia-smi >"$out/nvidia-smi.txt" 2>&1; then
  echo "device-check: no NVIDIA GPU answers (nvidia-smi failed); see $out/nvidia-smi.txt" >&2
  exit 2
fi
if [ ! -x "$build/cli/strata" ]; then
  echo "device-check: $build/cli/strata is missing: build on the Debian machine and carry $build" >&2
  exit 2
fi
export LD_LIBRARY_PATH="$PWD/$build/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
# A shared cuBLAS, when the build links one: the toolkit's, else the Python wheel's.
for dir in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib \
    $(python3 -c 'import nvidia.cublas, os; print(os.path.join(list(nvidia.cublas.__path__)[0], "lib"))' 2>/dev/null); do
  if ls "$dir"/libcublas.so* >/dev/null 2>&1; then
    export LD_LIBRARY_PATH="$LD_LIBRARY_PATH:$dir"
    break
  fi
done

status=0
results="$out/results.md"
printf '| check | result |\n|---|---|\n' >"$results"
record() { printf '| %s | %s |\n' "$1" "$2" >>"$results"; }

# Every GPU test executable: they exit 77 without a GPU, so here 77 is a failure too.
for test in "$build"/tests/strata_test_*cuda*; do  # quant kernels, ops, backend, executor
  [ -x "$test" ] || continue
  name="$(basename "$test")"
  if ldd "$test" | grep -q "not found"; then  # say which library is missing, not just "127"
    ldd "$test" | grep "not found" >"$out/$name.ldd.txt"
  fi
  "$test" >"$out/$name.log" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then record "$name" "passed"; else record "$name" "FAILED (exit $rc)"; status=1; fi
done

# The backend a plain run chooses, and why (one line when it falls back to the CPU).
"$build/cli/strata" generate --model examples/models/opt-fortunes-tiny --prompt "Love is" \
    --max-new-tokens 8 >"$out/generate.log" 2>&1
record "strata generate on the example model" "exit $? ($(head -c 200 "$out/generate.log" | tr '\n' ' '))"

# Prefill GEMMs of the backend against cuBLAS alone on the same shapes (opt-6.7b, opt-30b).
for shape in "4096 16384 4096" "7168 28672 4096"; do
  # shellcheck disable=SC2086
  "$build/tests/strata_bench_cuda_gemm" $shape >>"$out/bench-gemm.log" 2>&1
  rc=$?
  record "prefill GEMM vs cuBLAS (hidden ffn rows: $shape)" "exit $rc (see bench-gemm.log)"
  [ $rc -eq 0 ] || status=1
done

# The GPU's hardware profile (copies from pinned and pageable memory, cuBLAS GEMMs, device
# attention): a failure here is a failure of the CUDA backend's memory or ops. The benchmarks
# below plan with it (STRATA_PROFILE), and it stays in OUT_DIR as the record.
scratch="${TMPDIR:-/tmp}/strata-device-check"
mkdir -p "$scratch"
"$build/cli/strata" profile --backend cuda --offload-dir "$scratch" \
    -o "$out/hardware-cuda.yaml" >"$out/profile-cuda.log" 2>&1
rc=$?
if [ $rc -eq 0 ]; then
  record "strata profile --backend cuda" "passed (hardware-cuda.yaml)"
  export STRATA_PROFILE="$out/hardware-cuda.yaml"
else
  record "strata profile --backend cuda" "FAILED (exit $rc, see profile-cuda.log)"
  status=1
fi

# Benchmarks: each model at prompt 512, gen 32, capped at 16 GiB of device memory (the T4
# setting) and uncapped; the JSON line of each run goes into the table.
bench() {  # bench NAME LABEL [extra flags...]
  local name="$1" label="$2"
  shift 2
  local log="$out/bench-$name-$label.log"
  timeout 420 "$build/cli/strata" bench --dummy "$name" --prompt-len 512 --gen-len 32 \
      --backend cuda --offload-dir "$scratch" "$@" >"$log" 2>&1
  local rc=$?
  local figures
  figures="$(tail -n 1 "$log" | python3 -c 'import json,sys; j=json.load(sys.stdin); print("total %.1f token/s, prefill %.1f, decode %.1f, block %d, h2d %.1f GB/s of %.1f" % (j["total_throughput"], j["prefill_throughput"], j["decode_throughput"], j["block_size"], j["host_to_device_bytes_per_s"]["achieved"]/1e9, j["host_to_device_bytes_per_s"]["profiled"]/1e9))' 2>/dev/null)"
  record "bench $name $label" "exit $rc${figures:+: $figures}"
  [ $rc -eq 0 ] || status=1
}
for name in opt-6.7b opt-30b; do
  # The f16 dummy store: 13.4 GB (opt-6.7b), 60 GB (opt-30b); skip a model the disk cannot hold.
  need_gb=15
  [ "$name" = opt-30b ] && need_gb=66
  free_gb=$(df -BG --output=avail "$scratch" | tail -n 1 | tr -dc 0-9)
  if [ ! -d "$scratch/strata-dummy-$name" ] && [ "${free_gb:-0}" -lt "$need_gb" ]; then
    record "bench $name" "skipped: its dummy store needs ${need_gb} GB, the disk has ${free_gb} GB free"
    continue
  fi
  bench "$name" cap16 --device-mem 16GiB
  bench "$name" uncapped
  rm -rf "$scratch/strata-dummy-$name"  # room for the next model
done

cat "$results"
exit $status
