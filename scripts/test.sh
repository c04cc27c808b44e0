#!/usr/bin/env bash
# The test command: installs dependencies, builds, and runs the whole suite through ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
cd "${STRATA_BUILD_DIR:-build}"
ctest --output-on-failure -j"$(nproc)"
