#!/usr/bin/env bash
# Packs what scripts/device-check.sh needs from a build made on the Debian machine into a small
# folder to carry to a GPU machine (the device tool's `carry`, 64 MiB in all): cli/strata, every
# tests/strata_test_*cuda* and tests/strata_bench_cuda_* executable, stripped (about 57 MiB in
# all: OpenBLAS alone is 36 MiB), and lib/ with the shared libraries
# they load from outside the base system (OpenBLAS, liburing, yaml-cpp, GLPK, ...). CUDA's own
# libraries (libcuda from the driver; libcublas*, if not linked statically, from the GPU
# machine's CUDA toolkit) are left out: they are too large to carry and the machine has them.
#
#   scripts/pack-device-build.sh [BUILD_DIR [OUT_DIR]]   (defaults: build, build-device)
#   then, on the GPU machine: scripts/device-check.sh "$OUT" build-device
set -euo pipefail
build="${1:-build}"
out="${2:-build-device}"
cd "$(dirname "$0")/.."
[ -x "$build/cli/strata" ] || { echo "pack-device-build: no $build/cli/strata; build first" >&2; exit 2; }

rm -rf "$out"
mkdir -p "$out/cli" "$out/tests" "$out/lib"
binaries=("$build/cli/strata")
for test in "$build"/tests/strata_test_*cuda* "$build"/tests/strata_bench_cuda_*; do
  [ -x "$test" ] && binaries+=("$test")
done
for bin in "${binaries[@]}"; do
  dest="$out/${bin#"$build"/}"
  objcopy --strip-unneeded "$bin" "$dest"
done
# Shared libraries outside glibc / libstdc++ / the CUDA driver and toolkit.
ldd "${binaries[@]}" 2>/dev/null | awk '/=> \// {print $3}' | sort -u | while read -r lib; do
  case "$(basename "$lib")" in
    libc.so*|libm.so*|libdl.so*|libpthread.so*|librt.so*|ld-linux*|libgcc_s.so*|libstdc++.so*) ;;
    libcuda.so*|libcublas*|libcudart.so*|libnvidia*) ;;
    *) cp -L "$lib" "$out/lib/" ;;
  esac
done
du -sh "$out"
ls -l "$out/lib"
