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
# GPU tests: strata_test_quant_cuda (quant kernels), strata_test_cuda_backend (the CUDA backend's
# ops, memory primitives and the device/host attention merge). Not yet run on a GPU machine (no
# session had one). Exit code: 0 when every GPU test passed, 1 otherwise, 2 when the set-up is
# wrong (no GPU, no build).
set -uo pipefail
out="${1:?usage: scripts/device-check.sh OUT_DIR [BUILD_DIR]}"
build="${2:-build}"
mkdir -p "$out"
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
for test in "$build"/tests/strata_test_*cuda*; do
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

# The GPU's hardware profile (copies from pinned and pageable memory, cuBLAS GEMMs, device
# attention): a failure here is a failure of the CUDA backend's memory or ops.
"$build/cli/strata" profile --backend cuda --offload-dir "${TMPDIR:-/tmp}" \
    -o "$out/hardware-cuda.yaml" >"$out/profile-cuda.log" 2>&1
rc=$?
if [ $rc -eq 0 ]; then record "strata profile --backend cuda" "passed (hardware-cuda.yaml)"; else
  record "strata profile --backend cuda" "FAILED (exit $rc, see profile-cuda.log)"; status=1; fi

# GPU benchmarks: run only once the CUDA backend is implemented (today --backend cuda is refused
# with one line, which the log records).
"$build/cli/strata" bench --dummy opt-1.3b --prompt-len 512 --gen-len 32 --backend cuda \
    --offload-dir "${TMPDIR:-/tmp}" >"$out/bench-cuda.log" 2>&1
record "strata bench --dummy opt-1.3b --backend cuda" "exit $? (see bench-cuda.log)"

cat "$results"
exit $status
