#!/usr/bin/env bash
# The main job: installs dependencies, builds, and runs a batch generation of the example
# requests on the bundled example model, then shows each prompt with its completion.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
log="$(mktemp -t strata-build.XXXXXX.log)"
if ! bash scripts/build.sh >"$log" 2>&1; then
  tail -n 40 "$log" >&2
  echo "demo: the build failed; full log in $log" >&2
  exit 1
fi
rm -f "$log"
model="${1:-examples/models/opt-fortunes-tiny}"
requests="${2:-examples/requests.jsonl}"
output="${3:-build/demo-results.jsonl}"
# --resume: a demo interrupted earlier continues instead of refusing its journal.
./build/cli/strata run --model "$model" --input "$requests" --output "$output" --resume
python3 - "$requests" "$output" <<'PY'
import json, sys
requests = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
for req, res in zip(requests, (json.loads(l) for l in open(sys.argv[2], encoding="utf-8"))):
    print(f"--- {res['id']} ({res['completion_tokens']} tokens, {res['finish_reason']})")
    print(f"{req['prompt']}\033[1m{res['text']}\033[0m")
PY
echo "(results: $output)"
