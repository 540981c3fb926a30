#!/usr/bin/env bash
# Platform benchmark: Mainstay's GET /health against a bare actix-web JSON
# handler (bench/ceiling.rs) in the same run, plus idle/peak RSS and start to
# ready. Writes bench/RESULTS.md. Loopback only; every load is bounded.
#
#   bash bench/run.sh            # DURATION=10 CONNECTIONS=64 THREADS=2 by default
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
MD
cat bench/RESULTS.md
