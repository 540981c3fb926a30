#!/usr/bin/env bash
# Benchmarks, each against a ceiling measured in the same run (bench/ceiling.rs):
#  1. platform: GET /health vs a bare actix JSON handler; idle/peak RSS; start to ready.
#  2. identity (PostgreSQL + Redis): GET /api/v1/auth/me vs a bare actix handler
#     doing one SeaORM primary-key select; then /auth/me p99 alone and during a
#     login storm (bcrypt cost 12).
# Writes bench/RESULTS.md. Loopback only; every load is bounded in time.
#
#   bash bench/run.sh     # DURATION=10 CONNECTIONS=64 THREADS=2 by default
#   PG_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS=redis://127.0.0.1:6379 (defaults)
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --locked --bin mainstay --example ceiling

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
hwm_kb() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }
wait_ok() { for _ in $(seq 1 2000); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.005; done; return 1; }

secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
start_mainstay() {
  (cd "$work" && exec env -i PATH="$PATH" MAINSTAY_ENV=production HOST=127.0.0.1 PORT="$1" \
     DATABASE_URL="sqlite://$work/data/mainstay.db" JWT_SECRET="$secret" \
     "$OLDPWD/target/release/mainstay" serve >"$work/mainstay.log" 2>&1) &
  echo $!
}

# wrk output -> "req/s p50 p99"
measure() {
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$1" >"$work/wrk.txt"
  local rps p50 p99 errors
  rps=$(awk '/^Requests\/sec/ {print $2}' "$work/wrk.txt")
  p50=$(awk '$1=="50%" {print $2}' "$work/wrk.txt")
  p99=$(awk '$1=="99%" {print $2}' "$work/wrk.txt")
  errors=$(awk '/Non-2xx|Socket errors/ {print}' "$work/wrk.txt" | tr '\n' ' ')
  echo "$rps $p50 $p99 ${errors:-none}"
}

# Ceiling.
cport=$(free_port)
(PORT="$cport" exec target/release/examples/ceiling >/dev/null 2>&1) & cpid=$!; pids+=("$cpid")
wait_ok "http://127.0.0.1:$cport/health"
ceiling_idle=$(rss_kb "$cpid")
read -r c_rps c_p50 c_p99 c_err < <(measure "http://127.0.0.1:$cport/health")
ceiling_peak=$(hwm_kb "$cpid")
kill "$cpid"; wait "$cpid" 2>/dev/null || true

# Mainstay: first start applies migrations; the second measures start to ready.
mport=$(free_port)
mpid=$(start_mainstay "$mport"); pids+=("$mpid")
wait_ok "http://127.0.0.1:$mport/ready"
kill "$mpid"; wait "$mpid" 2>/dev/null || true

t0=$(date +%s%N)
mpid=$(start_mainstay "$mport"); pids+=("$mpid")
wait_ok "http://127.0.0.1:$mport/ready"
t1=$(date +%s%N)
ready_ms=$(( (t1 - t0) / 1000000 ))
sleep 1
mainstay_idle=$(rss_kb "$mpid")
read -r m_rps m_p50 m_p99 m_err < <(measure "http://127.0.0.1:$mport/health")
mainstay_peak=$(hwm_kb "$mpid")
kill "$mpid"; wait "$mpid" 2>/dev/null || true

ratio=$(python3 -c "print('%.1f' % (100 * $m_rps / $c_rps))")
idle_mb=$(python3 -c "print('%.1f' % ($mainstay_idle / 1024))")
cmd="DURATION=$DURATION CONNECTIONS=$CONNECTIONS THREADS=$THREADS bash bench/run.sh"
verdict() { python3 -c "print('met' if $1 else 'NOT met')"; }

# ---- identity: /auth/me on PostgreSQL + Redis ----------------------------
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
REDIS=${REDIS:-redis://127.0.0.1:6379}
identity_md="Identity benchmark skipped: PostgreSQL ($PG_URL) or Redis ($REDIS) not reachable."
if psql "$PG_URL" -Atc 'select 1' >/dev/null 2>&1 && redis-cli -u "$REDIS" ping >/dev/null 2>&1; then
  bench_db="mainstay_bench_$$"
  psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $bench_db" && psql "$PG_URL" -qc "CREATE DATABASE $bench_db"
  db_url="${PG_URL%/*}/$bench_db"
  iport=$(free_port)
  (cd "$work" && exec env -i PATH="$PATH" MAINSTAY_ENV=production HOST=127.0.0.1 PORT="$iport" \
     DATABASE_URL="$db_url" REDIS_URL="$REDIS" MAINSTAY__REDIS__KEY_PREFIX="bench$$:" JWT_SECRET="$secret" \
     "$OLDPWD/target/release/mainstay" serve >"$work/identity.log" 2>&1) & ipid=$!; pids+=("$ipid")
  wait_ok "http://127.0.0.1:$iport/ready"
  base="http://127.0.0.1:$iport/api/v1"
  # Eight organizations on the Enterprise plan (100,000 requests a minute
  # each): the load stays inside every budget, so no request is a cheap 429.
  tokens=()
  for i in 1 2 3 4 5 6 7 8; do
    onboard=$(curl -fsS -X POST "$base/organizations/onboard" -H 'content-type: application/json' \
      -d "{\"organization_name\":\"Bench $i\",\"email\":\"bench$i@example.com\",\"password\":\"tangerine-orbit-42\",\"full_name\":\"Bench Owner\"}")
    t=$(echo "$onboard" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    org=$(echo "$onboard" | python3 -c 'import json,sys; print(json.load(sys.stdin)["organization"]["id"])')
    [ "$i" = 1 ] && uid=$(echo "$onboard" | python3 -c 'import json,sys; print(json.load(sys.stdin)["user"]["id"])')
    curl -fsS -X POST "$base/organizations/$org/subscription" -H "authorization: Bearer $t" \
      -H 'content-type: application/json' -d '{"plan":"enterprise"}' >/dev/null
    tokens+=("\"$t\"")
  done
  cat > "$work/auth.lua" <<LUA
tokens = { $(IFS=,; echo "${tokens[*]}") }
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. tokens[(counter % #tokens) + 1] })
end
LUA
  cat > "$work/login.lua" <<'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"email":"bench1@example.com","password":"tangerine-orbit-42"}'
LUA
  cport2=$(free_port)
  (PORT="$cport2" DATABASE_URL="$db_url" exec target/release/examples/ceiling >/dev/null 2>&1) & c2pid=$!; pids+=("$c2pid")
  wait_ok "http://127.0.0.1:$cport2/health"
  read -r pk_rps pk_p50 pk_p99 pk_err < <(measure "http://127.0.0.1:$cport2/pk/$uid")
  measure_lua() { # url lua connections -> "req/s p50 p99 errors"
    wrk -t1 -c"$3" -d"${DURATION}s" --latency -s "$2" "$1" >"$work/wrk-$3.txt"
    awk '/^Requests\/sec/ {r=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} /Non-2xx|Socket errors/ {e=e $0 " "} END {print r, p50, p99, (e==""?"none":e)}' "$work/wrk-$3.txt"
  }
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$work/auth.lua" "$base/auth/me" >"$work/me.txt"
  me_rps=$(awk '/^Requests\/sec/ {print $2}' "$work/me.txt")
  me_p50=$(awk '$1=="50%" {print $2}' "$work/me.txt"); me_p99=$(awk '$1=="99%" {print $2}' "$work/me.txt")
  me_err=$(awk '/Non-2xx|Socket errors/ {print}' "$work/me.txt" | tr '\n' ' '); me_err=${me_err:-none}
  read -r solo_rps solo_p50 solo_p99 solo_err < <(measure_lua "$base/auth/me" "$work/auth.lua" 16)
  # Storm: logins at bcrypt cost 12 beside the same /auth/me load.
  wrk -t1 -c16 -d"${DURATION}s" --latency -s "$work/login.lua" "$base/auth/login" >"$work/login.txt" &
  storm=$!
  read -r st_rps st_p50 st_p99 st_err < <(measure_lua "$base/auth/me" "$work/auth.lua" 16)
  wait "$storm" || true
  login_rps=$(awk '/^Requests\/sec/ {print $2}' "$work/login.txt")
  login_p99=$(awk '$1=="99%" {print $2}' "$work/login.txt")
  to_ms() { python3 -c "import re,sys; v,u=re.match(r'([0-9.]+)(\w+)','$1').groups(); print(float(v)*{'us':0.001,'ms':1,'s':1000}[u])"; }
  me_ratio=$(python3 -c "print('%.1f' % (100 * $me_rps / $pk_rps))")
  storm_ratio=$(python3 -c "print('%.2f' % ($(to_ms "$st_p99") / $(to_ms "$solo_p99")))")
  kill "$ipid" "$c2pid" 2>/dev/null || true; wait "$ipid" "$c2pid" 2>/dev/null || true
  psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $bench_db" || true
  identity_md=$(cat <<MD2
## Identity: GET /api/v1/auth/me (PostgreSQL + Redis)

Mainstay in production settings on PostgreSQL ($db_url) and Redis, the
load spread over eight organizations on the Enterprise plan so that no request
is refused by a request budget. \`/auth/me\` verifies the JWT, then in one Redis
round trip reads the session state (permissions, plan and the caller's profile,
loaded from PostgreSQL on a cache miss and evicted by every change to them) and
counts the organization's request budget.

| server | req/s | p50 | p99 | errors |
|---|---|---|---|---|
| ceiling (bare actix-web, one SeaORM primary-key select, \`bench/ceiling.rs\`) | $pk_rps | $pk_p50 | $pk_p99 | $pk_err |
| Mainstay \`GET /api/v1/auth/me\` | $me_rps | $me_p50 | $me_p99 | $me_err |

Login storm (\`wrk -t1 -c16\` on \`/auth/me\` alone, then again beside
\`wrk -t1 -c16\` of \`POST /auth/login\` at bcrypt cost 12):

| /auth/me | req/s | p50 | p99 | errors |
|---|---|---|---|---|
| alone | $solo_rps | $solo_p50 | $solo_p99 | $solo_err |
| during the login storm ($login_rps logins/s, login p99 $login_p99) | $st_rps | $st_p50 | $st_p99 | $st_err |

| target | figure | verdict |
|---|---|---|
| /auth/me at least 8,000 req/s with no errors | $me_rps (errors: $me_err) | $(verdict "$me_rps >= 8000 and '$me_err' == 'none'") |
| /auth/me at least 60% of the ceiling | ${me_ratio}% | $(verdict "$me_ratio >= 60") |
| /auth/me p99 during the storm within 3x of alone | ${storm_ratio}x | $(verdict "$storm_ratio <= 3") |
MD2
)
fi

cat > bench/RESULTS.md <<MD
# Benchmark results

Produced by \`$cmd\` on $(date -u +%Y-%m-%d) ($(nproc) cores, $(free -g | awk '/^Mem/ {print $2}') GiB;
wrk and the servers share the machine). Each server is loaded with
\`wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency\` on loopback. Mainstay runs as in the
container (production settings, JSON logs, SQLite, in-process cache, every
middleware: request id, tracing span, metrics, CORS, problem normalization).

## Platform: GET /health

| server | req/s | p50 | p99 | errors | idle RSS | peak RSS |
|---|---|---|---|---|---|---|
| ceiling (bare actix-web JSON handler, \`bench/ceiling.rs\`) | $c_rps | $c_p50 | $c_p99 | $c_err | $((ceiling_idle / 1024)) MB | $((ceiling_peak / 1024)) MB |
| Mainstay | $m_rps | $m_p50 | $m_p99 | $m_err | ${idle_mb} MB | $((mainstay_peak / 1024)) MB |

| target | figure | verdict |
|---|---|---|
| GET /health at least 60% of the ceiling's req/s | ${ratio}% | $(verdict "$ratio >= 60") |
| idle RSS under 30 MB | ${idle_mb} MB | $(verdict "$idle_mb < 30") |
| start to ready under 1 s (migrations already applied) | ${ready_ms} ms | $(verdict "$ready_ms < 1000") |

$identity_md
MD
cat bench/RESULTS.md
