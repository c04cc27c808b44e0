#!/usr/bin/env bash
# Configures and builds Strata into ./build (or $STRATA_BUILD_DIR). CUDA is built when nvcc is found.
set -euo pipefail
cd "$(dirname "$0")/.."
build_dir="${STRATA_BUILD_DIR:-build}"
# nvcc often lives outside PATH (/usr/local/cuda/bin); let CMake find it there.
if ! command -v nvcc >/dev/null && [ -x /usr/local/cuda/bin/nvcc ]; then
  export PATH="/usr/local/cuda/bin:$PATH"
fi
cmake -S . -B "$build_dir" -DCMAKE_BUILD_TYPE="${STRATA_BUILD_TYPE:-Release}" >/dev/null
cmake --build "$build_dir" -j"$(nproc)"
