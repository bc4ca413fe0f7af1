#!/usr/bin/env bash
# The CPU `planj run` spends waiting for a slow OpenAI-compatible server: a server on loopback
# answers the planner after SECONDS (default 15), the demo executor does the rest, and
# /usr/bin/time -v's user and system seconds are printed. Waiting should cost next to nothing
# (before the client moved from URLSession to SwiftNIO, 15 s of waiting took ~2.5 s user and
# ~9.6 s system CPU on the 2-core machine).
#
# Usage: bash tools/bench/openai_wait_cpu.sh [SECONDS] [PLANJ]   (PLANJ: default .build/debug/planj)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
seconds=${1:-15}
planj=${2:-$ROOT/.build/debug/planj}
dir=$(mktemp -d)
trap 'kill $server 2>/dev/null; rm -rf "$dir"' EXIT
python3 - "$seconds" > "$dir/url" <<'PY' &
import http.server, json, sys, time
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        time.sleep(float(sys.argv[1]))
        plan = json.dumps({"steps": [{"id": "a", "description": "d"}]})
        b = json.dumps({"choices": [{"index": 0, "message": {"role": "assistant", "content": plan}, "finish_reason": "stop"}],
                        "usage": {"prompt_tokens": 1, "completion_tokens": 1}}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(b))); self.end_headers(); self.wfile.write(b)
s = http.server.HTTPServer(("127.0.0.1", 0), H)
print(f"http://127.0.0.1:{s.server_address[1]}/v1", flush=True)
s.serve_forever()
PY
server=$!
while [ ! -s "$dir/url" ]; do sleep 0.1; done
/usr/bin/time -v "$planj" run --journal "$dir/j.sqlite" --goal wait --planner "openai:slow@$(cat "$dir/url")" \
    --executor demo --quiet 2> "$dir/time" > /dev/null
grep -E "Elapsed|User time|System time|Voluntary context" "$dir/time"
