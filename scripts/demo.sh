#!/usr/bin/env bash
# The main job: installs dependencies, builds, and runs a batch generation of the example
# requests on the bundled example model, then shows each prompt with its completion.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh >/dev/null
model="${1:-examples/models/opt-fortunes-tiny}"
requests="${2:-examples/requests.jsonl}"
output="${3:-build/demo-results.jsonl}"
./build/cli/strata run --model "$model" --input "$requests" --output "$output"
python3 - "$requests" "$output" <<'PY'
import json, sys
requests = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
for req, res in zip(requests, (json.loads(l) for l in open(sys.argv[2], encoding="utf-8"))):
    print(f"--- {res['id']} ({res['completion_tokens']} tokens, {res['finish_reason']})")
    print(f"{req['prompt']}\033[1m{res['text']}\033[0m")
PY
echo "(results: $output)"
