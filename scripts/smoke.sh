#!/usr/bin/env bash
# Container smoke test without a Docker engine: runs the release binary the
# way the Dockerfile's CMD does (production env, 0.0.0.0, data dir as the
# volume, empty working directory), then probes it and stops it gracefully.
set -euo pipefail
cd "$(dirname "$0")/.."

cargo build --release --locked --bin mainstay
bin="$PWD/target/release/mainstay"
work=$(mktemp -d)
mkdir -p "$work/app" "$work/data"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log="$work/server.log"

cleanup() { [ -n "${pid:-}" ] && kill "$pid" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

# Without a JWT secret, production must refuse to start.
if (cd "$work/app" && env -i PATH="$PATH" MAINSTAY_ENV=production "$bin" serve >/dev/null 2>&1); then
  echo "smoke: production started without JWT_SECRET" >&2; exit 1
fi

(cd "$work/app" && exec env -i PATH="$PATH" MAINSTAY_ENV=production HOST=0.0.0.0 PORT="$port" \
   DATABASE_URL="sqlite://$work/data/mainstay.db" JWT_SECRET="$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')" \
   "$bin" serve >"$log" 2>&1) &
pid=$!

ready=""
for _ in $(seq 1 100); do
  if curl -fsS "http://127.0.0.1:$port/ready" >/dev/null 2>&1; then ready=yes; break; fi
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.1
done
if [ -z "$ready" ]; then echo "smoke: /ready never answered 200" >&2; cat "$log" >&2; exit 1; fi

# Each body is read whole before it is checked: `curl | grep -q` fails under
# pipefail when grep stops reading before curl has written everything.
get() { curl -fsS "http://127.0.0.1:$port$1"; }
grep -q '"ok"' <<<"$(get /health)"
grep -q 'swagger-ui' <<<"$(get /docs/)"
python3 -c 'import json,sys; d=json.load(sys.stdin); assert "bearer_auth" in d["components"]["securitySchemes"]' <<<"$(get /api-docs/openapi.json)"
grep -q 'http_requests_total' <<<"$(get /metrics)"
(cd "$work/app" && env -i PATH="$PATH" PORT="$port" "$bin" healthcheck 2>/dev/null) \
  || { echo "smoke: healthcheck subcommand failed" >&2; exit 1; }
[ -f "$work/data/mainstay.db" ] || { echo "smoke: database not in the data volume" >&2; exit 1; }
grep -q '^{' <<<"$(head -n 5 "$log")" || { echo "smoke: production logs are not JSON" >&2; head -n 5 "$log" >&2; exit 1; }

kill -TERM "$pid"
for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$pid" 2>/dev/null; then echo "smoke: no graceful shutdown on SIGTERM" >&2; exit 1; fi
pid=""
echo "smoke: OK (release binary served /ready, /health, /docs, spec and metrics; JSON logs; clean SIGTERM)"
