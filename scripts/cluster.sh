#!/usr/bin/env bash
# deploy/compose.yaml without a container engine: three release processes of
# Mainstay (production settings, one shared JWT secret) started at the same
# instant against one empty PostgreSQL database and the local Redis, behind
# nginx. Checks, each printed as it passes (exit 1 on the first failure):
#  a. all three apply migrations concurrently, come up and stay up; GET /ready
#     through nginx answers 200;
#  b. a load through nginx reaches every replica (their own /metrics);
#  c. a token works on every replica; a logout on replica 1 is refused on the
#     other two (sessions and revocations are shared);
#  d. per-IP rate limits count the client that nginx forwards, and an
#     X-Forwarded-For from an untrusted peer is ignored
#     (MAINSTAY__SERVER__TRUSTED_PROXIES=127.0.0.1);
#  e. SIGTERM stops all three gracefully (exit 0) while nginx is still up.
# Everything it creates (processes, nginx, database, Redis keys, temp dir) is
# removed on exit. It does not build: run `cargo build --release` first.
#
#   bash scripts/cluster.sh
#   PG_URL=postgres://postgres@127.0.0.1:5432/postgres REDIS=redis://127.0.0.1:6379 (defaults)
#   MAINSTAY_BIN=target/release/mainstay START_TIMEOUT=60 LOAD_SECS=3 KEEP=1 (keep the logs)
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${MAINSTAY_BIN:-target/release/mainstay}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
REDIS=${REDIS:-redis://127.0.0.1:6379}
START_TIMEOUT=${START_TIMEOUT:-60}
LOAD_SECS=${LOAD_SECS:-3}
export PGCONNECT_TIMEOUT=5

say() { printf 'cluster: %s\n' "$*"; }
die() { printf 'cluster: %s\n' "$*" >&2; exit 2; }

# ---- prerequisites --------------------------------------------------------
[ -x "$BIN" ] || die "$BIN not found: build it first with \`cargo build --release\`"
BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
for tool in curl psql redis-cli python3; do
  command -v "$tool" >/dev/null || die "$tool is required"
done
apt_install() { # package...: as root only, quietly
  [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
  apt-get install -y -qq "$@" >/dev/null 2>&1 \
    || { apt-get update -qq >/dev/null 2>&1 && apt-get install -y -qq "$@" >/dev/null 2>&1; }
}
nginx_bin=$(command -v nginx || echo /usr/sbin/nginx)
if [ ! -x "$nginx_bin" ]; then
  say "installing nginx"
  apt_install nginx-light || apt_install nginx || die "nginx is required (apt-get install nginx-light)"
fi
command -v wrk >/dev/null || apt_install wrk || true
timeout 10 psql "$PG_URL" -Atqc 'select 1' >/dev/null 2>&1 || die "PostgreSQL not reachable at $PG_URL"
timeout 10 redis-cli -u "$REDIS" ping 2>/dev/null | grep -q PONG || die "Redis not reachable at $REDIS"

# ---- state and clean-up ---------------------------------------------------
run=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
db="mainstay_cluster_$run"
db_url="${PG_URL%/*}/$db"
prefix="cluster:$run:"
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
work=$(mktemp -d "${TMPDIR:-/tmp}/mainstay-cluster.XXXXXX")
pids=() ports=() nginx_pid="" db_created="" status=1
rows=()

row() { rows+=("$1|$2|$3"); }
pass() { row "$1" PASS "$2"; say "PASS $1: $2"; }
fail() {
  row "$1" FAIL "$2"
  say "FAIL $1: $2" >&2
  for i in 0 1 2; do
    [ -s "$work/mainstay-$((i + 1)).log" ] || continue
    printf -- '--- last lines of mainstay-%s.log ---\n' "$((i + 1))" >&2
    tail -n 5 "$work/mainstay-$((i + 1)).log" >&2
  done
  exit 1
}

stop() { # pid: TERM, up to 10 s, then KILL
  kill -TERM "$1" 2>/dev/null || return 0
  for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done
  kill -KILL "$1" 2>/dev/null || true
}

cleanup() {
  local rc=$?
  set +e
  # (bash's "Killed" job notices would clutter the summary)
  exec 3>&2 2>/dev/null
  [ "${#pids[@]}" -gt 0 ] && kill -TERM "${pids[@]}"
  for p in "${pids[@]}"; do stop "$p"; done
  [ -n "$nginx_pid" ] && stop "$nginx_pid"
  wait
  exec 2>&3 3>&-
  if [ -n "$db_created" ]; then
    timeout 20 psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 \
      || timeout 20 psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 \
      || say "could not drop database $db" >&2
  fi
  timeout 20 redis-cli -u "$REDIS" --scan --pattern "$prefix*" 2>/dev/null \
    | timeout 20 xargs -r -n 500 redis-cli -u "$REDIS" del >/dev/null 2>&1
  if [ "${KEEP:-}" = 1 ]; then say "logs kept in $work"; else rm -rf "$work"; fi
  if [ "${#rows[@]}" -gt 0 ]; then
    printf '\n%-34s %-6s %s\n' check result detail
    printf '%-34s %-6s %s\n' ---------------------------------- ------ ------
    for r in "${rows[@]}"; do
      IFS='|' read -r name result detail <<<"$r"
      printf '%-34s %-6s %s\n' "$name" "$result" "$detail"
    done
  fi
  if [ "$status" = 0 ] && [ "$rc" = 0 ]; then say "OK"; else say "FAILED (KEEP=1 keeps the logs)" >&2; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
# curl with a bound on time; prints the status code (000 when unreachable).
code() { curl -s -o /dev/null -w '%{http_code}' --max-time 15 "$@" || true; }
json_field() { python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]])' "$1"; }

# ---- a. three replicas, migrating concurrently ----------------------------
timeout 20 psql "$PG_URL" -qc "CREATE DATABASE $db" >/dev/null
db_created=yes
say "database $db, Redis prefix $prefix, logs in $work"

for i in 1 2 3; do
  port=$(free_port)
  ports+=("$port")
  # Each waits for the starting gun, so all three migrate the empty database at once.
  (
    for _ in $(seq 1 1000); do [ -e "$work/go" ] && break; sleep 0.01; done
    cd "$work" && exec env -i PATH="$PATH" MAINSTAY_ENV=production HOST=127.0.0.1 PORT="$port" \
      DATABASE_URL="$db_url" REDIS_URL="$REDIS" MAINSTAY__REDIS__KEY_PREFIX="$prefix" \
      JWT_SECRET="$secret" MAINSTAY__SERVER__TRUSTED_PROXIES=127.0.0.1 \
      MAINSTAY__DATABASE__MAX_CONNECTIONS=5 \
      "$BIN" serve >"$work/mainstay-$i.log" 2>&1
  ) &
  pids+=("$!")
done
sleep 0.2
touch "$work/go"
started=$(date +%s)

for i in 0 1 2; do
  until [ "$(code "http://127.0.0.1:${ports[$i]}/ready")" = 200 ]; do
    kill -0 "${pids[$i]}" 2>/dev/null \
      || fail "replicas up" "mainstay-$((i + 1)) exited during start (concurrent migrations?)"
    [ $(($(date +%s) - started)) -lt "$START_TIMEOUT" ] \
      || fail "replicas up" "mainstay-$((i + 1)) not ready within ${START_TIMEOUT}s"
    sleep 0.1
  done
done
ready_secs=$(($(date +%s) - started))
sleep 2
for i in 0 1 2; do
  kill -0 "${pids[$i]}" 2>/dev/null || fail "replicas stay up" "mainstay-$((i + 1)) exited after becoming ready"
done
migrations=$(timeout 10 psql "$db_url" -Atc 'SELECT count(*) FROM seaql_migrations')
pass "replicas up (concurrent migrate)" "3/3 ready in ${ready_secs}s on ports ${ports[*]}; $migrations migrations recorded"

# nginx with its own prefix: config, pid, logs and temp files under $work.
nport=$(free_port)
mkdir -p "$work/nginx"
user_line=""
[ "$(id -u)" = 0 ] && user_line="user root;"
cat >"$work/nginx/nginx.conf" <<NGINX
# Generated by scripts/cluster.sh: the proxy settings of deploy/nginx.conf
# with local upstreams.
$user_line
worker_processes 1;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log warn;
events { worker_connections 512; }
http {
    access_log $work/nginx/access.log;
    client_body_temp_path $work/nginx/client_body;
    proxy_temp_path $work/nginx/proxy;
    fastcgi_temp_path $work/nginx/fastcgi;
    uwsgi_temp_path $work/nginx/uwsgi;
    scgi_temp_path $work/nginx/scgi;
    map \$http_x_request_id \$mainstay_request_id {
        default \$http_x_request_id;
        ""      \$request_id;
    }
    client_max_body_size 1m;
    client_header_timeout 15s;
    client_body_timeout 15s;
    send_timeout 30s;
    upstream mainstay {
        server 127.0.0.1:${ports[0]} max_fails=2 fail_timeout=10s;
        server 127.0.0.1:${ports[1]} max_fails=2 fail_timeout=10s;
        server 127.0.0.1:${ports[2]} max_fails=2 fail_timeout=10s;
        keepalive 32;
        keepalive_timeout 4s;
    }
    server {
        listen 127.0.0.1:$nport;
        location = /metrics { return 404; }
        location / {
            proxy_pass http://mainstay;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host \$host;
            proxy_set_header X-Forwarded-For \$remote_addr;
            proxy_set_header X-Forwarded-Proto \$scheme;
            proxy_set_header X-Request-Id \$mainstay_request_id;
            proxy_connect_timeout 2s;
            proxy_send_timeout 30s;
            proxy_read_timeout 30s;
            proxy_next_upstream error timeout;
            proxy_next_upstream_tries 2;
            proxy_next_upstream_timeout 10s;
        }
    }
}
NGINX
ngx=("$nginx_bin" -p "$work/nginx" -c "$work/nginx/nginx.conf" -e "$work/nginx/error.log")
"${ngx[@]}" -t -q 2>"$work/nginx/test.log" || { cat "$work/nginx/test.log" >&2; fail "nginx config" "nginx -t refused it"; }
"${ngx[@]}" -g 'daemon off;' 2>>"$work/nginx/error.log" &
nginx_pid=$!
proxy="http://127.0.0.1:$nport"
for _ in $(seq 1 100); do [ "$(code "$proxy/ready")" = 200 ] && break; sleep 0.1; done
ready_body=$(curl -fsS --max-time 10 "$proxy/ready" 2>/dev/null) \
  || fail "GET /ready via nginx" "not 200 (see $work/nginx/error.log)"
if ! grep -q '"database":"postgres"' <<<"$ready_body" || ! grep -q '"cache":"redis"' <<<"$ready_body"; then
  fail "GET /ready via nginx" "unexpected body: $ready_body"
fi
pass "GET /ready via nginx" "200 $ready_body"

# ---- b. the load reaches every replica ------------------------------------
# http_requests_total{method="GET",route="/health",status="..."} summed, per replica.
health_count() {
  curl -fsS --max-time 10 "http://127.0.0.1:$1/metrics" \
    | awk '/^http_requests_total\{/ && /route="\/health"/ && /method="GET"/ {n += $NF} END {printf "%d\n", n}'
}
before=()
for p in "${ports[@]}"; do before+=("$(health_count "$p")"); done
if command -v wrk >/dev/null; then
  wrk -t1 -c8 -d"${LOAD_SECS}s" "$proxy/health" >"$work/wrk.txt" 2>&1 || fail "load via nginx" "wrk failed"
  total=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
  errors=$(awk '/Non-2xx|Socket errors/' "$work/wrk.txt" | tr '\n' ' ')
  [ -z "$errors" ] || fail "load via nginx" "wrk: $errors"
  tool="wrk -c8 -d${LOAD_SECS}s"
else
  total=300 bad=0
  for _ in $(seq 1 "$total"); do [ "$(code "$proxy/health")" = 200 ] || bad=$((bad + 1)); done
  [ "$bad" = 0 ] || fail "load via nginx" "$bad of $total requests not 200"
  tool="curl x$total"
fi
shares=() served=0
for i in 0 1 2; do
  n=$(($(health_count "${ports[$i]}") - before[i]))
  [ "$n" -gt 0 ] || fail "load spread" "mainstay-$((i + 1)) served none of $total requests"
  shares+=("mainstay-$((i + 1))=$n")
  served=$((served + n))
done
pass "load spread over replicas" "$tool: $total requests, ${shares[*]} (sum $served)"

# ---- c. one session, three replicas ---------------------------------------
email="owner-$run@example.com"
password="tangerine-orbit-$run"
signup=$(curl -fsS --max-time 30 -X POST "$proxy/api/v1/auth/register" -H 'content-type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\",\"full_name\":\"Cluster Owner\"}") \
  || fail "sign up via nginx" "POST /api/v1/auth/register did not answer 201"
signup_token=$(json_field access_token <<<"$signup")
login=$(curl -fsS --max-time 30 -X POST "$proxy/api/v1/auth/login" -H 'content-type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\"}") \
  || fail "log in via nginx" "POST /api/v1/auth/login did not answer 200"
token=$(json_field access_token <<<"$login")
pass "sign up + log in via nginx" "register 201, login 200 ($email)"

me() { code -H "authorization: Bearer $2" "http://127.0.0.1:$1/api/v1/auth/me"; }
got=()
for i in 0 1 2; do got+=("$(me "${ports[$i]}" "$token")"); done
[ "${got[*]}" = "200 200 200" ] || fail "token on every replica" "GET /auth/me answered ${got[*]}"
pass "token on every replica" "GET /api/v1/auth/me: ${got[*]}"

out=$(code -X POST -H "authorization: Bearer $token" "http://127.0.0.1:${ports[0]}/api/v1/auth/logout")
[ "$out" = 204 ] || fail "logout on mainstay-1" "POST /auth/logout answered $out"
got=("$(me "${ports[1]}" "$token")" "$(me "${ports[2]}" "$token")")
[ "${got[*]}" = "401 401" ] || fail "logout seen by the others" "GET /auth/me on mainstay-2, -3 answered ${got[*]}"
other=$(me "${ports[1]}" "$signup_token")
[ "$other" = 200 ] || fail "logout seen by the others" "the sign-up session answered $other (only one session should end)"
pass "logout seen by the others" "logout 204 on mainstay-1; /auth/me 401 on mainstay-2 and -3; other session still 200"

# ---- d. per-IP limits behind the trusted proxy ----------------------------
# POST /auth/forgot-password: 20 a client address an hour (the 21st is 429),
# cheap (no bcrypt), counted in Redis for the whole cluster. Loopback has all
# of 127.0.0.0/8: curl --interface picks distinct client addresses.
forgot() { # curl options... -> status
  code -X POST -H 'content-type: application/json' \
    -d "{\"email\":\"nobody-$RANDOM$RANDOM@example.com\"}" "$@"
}
if ! grep -qa trusted_proxies "$BIN"; then
  row "per-IP limits via nginx" SKIP "$BIN predates server.trusted_proxies: rebuild"
  say "SKIP d: $BIN does not know server.trusted_proxies (rebuild with cargo build --release)"
else
  url="$proxy/api/v1/auth/forgot-password"
  statuses=$(for _ in $(seq 1 20); do forgot --interface 127.0.0.2 "$url"; echo; done | sort | uniq -c | xargs)
  [ "$statuses" = "20 202" ] || fail "per-IP limit via nginx" "client 127.0.0.2: 20 requests answered $statuses"
  out=$(forgot --interface 127.0.0.2 "$url")
  [ "$out" = 429 ] || fail "per-IP limit via nginx" "client 127.0.0.2: 21st request answered $out, not 429"
  pass "per-IP limit via nginx" "client 127.0.0.2: 20x 202, then 429"

  out=$(forgot --interface 127.0.0.3 "$url")
  [ "$out" = 202 ] || fail "forwarded client seen" "client 127.0.0.3 answered $out: the limit counted nginx, not the client"
  out=$(forgot --interface 127.0.0.2 -H 'X-Forwarded-For: 198.51.100.7' "$url")
  [ "$out" = 429 ] || fail "forwarded client seen" "client 127.0.0.2 escaped its limit with its own X-Forwarded-For ($out)"
  pass "forwarded client seen" "client 127.0.0.3 via nginx: 202 (own budget); 127.0.0.2 with its own X-Forwarded-For: still 429"

  direct="http://127.0.0.1:${ports[1]}/api/v1/auth/forgot-password"
  statuses=$(for n in $(seq 1 20); do forgot --interface 127.0.0.4 -H "X-Forwarded-For: 198.51.100.$n" "$direct"; echo; done | sort | uniq -c | xargs)
  out=$(forgot --interface 127.0.0.4 -H 'X-Forwarded-For: 198.51.100.99' "$direct")
  [ "$statuses" = "20 202" ] && [ "$out" = 429 ] \
    || fail "spoofed X-Forwarded-For ignored" "untrusted peer 127.0.0.4 with 21 spoofed addresses: $statuses, then $out (want 20 202, then 429)"
  out=$(forgot --interface 127.0.0.5 -H 'X-Forwarded-For: 127.0.0.2' "$direct")
  [ "$out" = 202 ] || fail "spoofed X-Forwarded-For ignored" "untrusted peer 127.0.0.5 naming 127.0.0.2 answered $out, not 202"
  out=$(forgot -H 'X-Forwarded-For: 127.0.0.2' "$direct")
  [ "$out" = 429 ] || fail "trusted peer's X-Forwarded-For" "trusted peer 127.0.0.1 naming 127.0.0.2 answered $out, not 429"
  pass "spoofed X-Forwarded-For ignored" "direct from untrusted 127.0.0.4: 21 spoofed addresses, 21st 429; 127.0.0.5 naming 127.0.0.2: 202; trusted 127.0.0.1 naming it: 429"
fi

for i in 0 1 2; do
  kill -0 "${pids[$i]}" 2>/dev/null || fail "replicas stay up" "mainstay-$((i + 1)) exited during the checks"
done
pass "replicas stay up" "3/3 still running"

# ---- graceful stop ---------------------------------------------------------
# SIGTERM to all three while nginx still holds kept-alive connections to them
# (a rolling restart): each must drain and exit 0 within its shutdown timeout
# (10 s) plus a margin, before compose's stop_grace_period would SIGKILL it.
t0=$(date +%s%N)
kill -TERM "${pids[@]}"
exits=()
for i in 0 1 2; do
  for _ in $(seq 1 150); do kill -0 "${pids[$i]}" 2>/dev/null || break; sleep 0.1; done
  kill -0 "${pids[$i]}" 2>/dev/null && fail "graceful stop" "mainstay-$((i + 1)) still running 15 s after SIGTERM"
  rc=0; wait "${pids[$i]}" || rc=$?
  exits+=("$rc")
done
stop_ms=$((($(date +%s%N) - t0) / 1000000))
pids=()
[ "${exits[*]}" = "0 0 0" ] || fail "graceful stop" "exit codes ${exits[*]} after SIGTERM"
pass "graceful stop (SIGTERM)" "3/3 exited 0 within ${stop_ms} ms"
status=0
