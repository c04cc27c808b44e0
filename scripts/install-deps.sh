#!/usr/bin/env bash
# Installs everything Strata builds, tests and runs with, from Debian 12 packages. Idempotent:
# when every package is already present it does nothing (no apt-get update).
set -euo pipefail

packages=(
  build-essential cmake git pkg-config   # compiler, build system
  liburing-dev                           # SSD tier: io_uring reads and writes
  libcli11-dev                           # command-line parsing
  libyaml-cpp-dev                        # policy, config and store manifest YAML
  catch2                                 # C++ unit tests (v2)
  libglpk-dev                            # the planner's linear program
  libdnnl-dev                            # CPU backend GEMM (oneDNN matmul, OpenMP runtime)
  nlohmann-json3-dev                     # config.json, safetensors headers, JSONL jobs
  libpcre2-dev                           # GPT-2 pre-tokenizer regex (\p{L}, \p{N})
  libxxhash-dev                          # checksums of the converted store
  fio                                    # disk baseline for the I/O benchmarks
  strace                                 # e2e test: counts the files a run opens
  python3 python3-numpy python3-regex    # test-model writer and independent reference forward
  libicu-dev                             # tokenizer.json Unicode normalizers (NFC, ...)
  libsentencepiece-dev                   # tokenizer.model (SentencePiece) tokenizers
  python3-sentencepiece                  # SentencePiece reference and trainer for the tests
  nodejs                                 # runs Hugging Face's tokenizers as the test reference
  python3-jinja2                         # reference renderer of chat templates (tests/chat)
)
# npm installs that reference (tests/reference/package.json). Debian 12 packages it apart from
# nodejs; a Node.js from elsewhere brings its own npm, which Debian's package would conflict with.
if ! command -v npm >/dev/null; then packages+=(npm); fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
echo "install-deps: installing ${missing[*]}" >&2
SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
