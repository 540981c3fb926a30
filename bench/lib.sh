# The benchmark harness every module's section uses. Source it from a bench
# script (bash, `set -euo pipefail`, run from the repository root):
#
#   source bench/lib.sh
#   bench_init                        # release build, wrk, a work dir cleaned at exit
#   bench_stack                       # fresh PostgreSQL database, Mainstay (production
#                                     # settings, PostgreSQL + Redis) and the ceiling on it:
#                                     # sets $base (.../api/v1), $db_url, $ceiling
#   read -r token org < <(bench_org "Name")      # an Enterprise organization, its owner
#   bench_sql "INSERT ... SELECT ... generate_series(...)"   # seed N rows through SQL
#   bench_requests FILE TOKENS PATHS  # a wrk Lua script rotating over (token, path) pairs
#   bench_posts FILE TOKENS PATHS BODIES  # the same for POSTs with JSON bodies (one per line)
#   bench_ceiling "label" URL         # loads the ceiling; later rows report a ratio to it
#   bench_row "label" URL [LUA]       # loads one endpoint: a table row with req/s, p50,
#                                     # p99, errors and % of the ceiling
#   bench_section NAME "markdown"     # writes the section into bench/RESULTS.md between
#                                     # <!-- NAME:start --> and <!-- NAME:end -->
#
# Every load is `wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency` on
# loopback (defaults 1, 64, 8). The ceiling and Mainstay run in the same
# script run, so a ratio compares like with like on this machine.

DURATION=${DURATION:-8}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-1}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
REDIS=${REDIS:-redis://127.0.0.1:6379}

bench_free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
bench_wait_ok() { for _ in $(seq 1 2000); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.005; done; return 1; }

bench_init() {
  command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
  cargo build --release --locked --bin mainstay --example ceiling
  bench_root=$PWD
  bench_work=$(mktemp -d)
  bench_pids=()
  bench_db=""
  trap bench_cleanup EXIT
  bench_secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
  bench_ceiling_rps=""
}

bench_cleanup() {
  for p in "${bench_pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "$bench_db" ] && psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $bench_db" >/dev/null 2>&1 || true
  rm -rf "$bench_work"
}

# Extra environment for Mainstay: BENCH_ENV="MAINSTAY__REDIS__LIST_CACHE=false ...".
bench_stack() {
  psql "$PG_URL" -Atc 'select 1' >/dev/null && redis-cli -u "$REDIS" ping >/dev/null
  bench_db="mainstay_bench_$$"
  psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $bench_db" && psql "$PG_URL" -qc "CREATE DATABASE $bench_db"
  db_url="${PG_URL%/*}/$bench_db${BENCH_PG_PARAMS:+?$BENCH_PG_PARAMS}"
  local port cport
  port=$(bench_free_port)
  # shellcheck disable=SC2086
  (cd "$bench_work" && exec env -i PATH="$PATH" MAINSTAY_ENV=production HOST=127.0.0.1 PORT="$port" \
     DATABASE_URL="$db_url" REDIS_URL="$REDIS" MAINSTAY__REDIS__KEY_PREFIX="bench$$:" \
     JWT_SECRET="$bench_secret" ${BENCH_ENV:-} \
     "$bench_root/target/release/mainstay" serve >"$bench_work/mainstay.log" 2>&1) &
  bench_pids+=("$!")
  mainstay_pid=$!
  bench_wait_ok "http://127.0.0.1:$port/ready"
  base="http://127.0.0.1:$port/api/v1"
  cport=$(bench_free_port)
  (PORT="$cport" DATABASE_URL="$db_url" exec "$bench_root/target/release/examples/ceiling" >/dev/null 2>&1) &
  bench_pids+=("$!")
  bench_wait_ok "http://127.0.0.1:$cport/health"
  ceiling="http://127.0.0.1:$cport"
}

# An organization on the Enterprise plan (its request budget is not what a
# load measures): prints "token organization_id".
bench_org() {
  local email onboard token org
  email="$(echo "$1" | tr ' A-Z' '-a-z')-$$@example.com"
  onboard=$(curl -fsS -X POST "$base/organizations/onboard" -H 'content-type: application/json' \
    -d "{\"organization_name\":\"$1\",\"email\":\"$email\",\"password\":\"tangerine-orbit-42\",\"full_name\":\"Bench Owner\"}")
  token=$(echo "$onboard" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
  org=$(echo "$onboard" | python3 -c 'import json,sys; print(json.load(sys.stdin)["organization"]["id"])')
  curl -fsS -X POST "$base/organizations/$org/subscription" -H "authorization: Bearer $token" \
    -H 'content-type: application/json' -d '{"plan":"enterprise"}' >/dev/null
  echo "$token $org"
}

bench_sql() { psql "$db_url" -qAtc "$1"; }

# bench_requests FILE TOKENS PATHS: TOKENS and PATHS are files with one line
# each per pair; request n goes to PATHS[n] with TOKENS[n] (rotating).
bench_requests() {
  python3 - "$1" "$2" "$3" <<'PY'
import sys
out, tokens, paths = sys.argv[1], open(sys.argv[2]).read().split(), open(sys.argv[3]).read().split()
q = lambda xs: "{" + ",".join('"' + x + '"' for x in xs) + "}"
with open(out, "w") as f:
    f.write(f"tokens = {q(tokens)}\npaths = {q(paths)}\n")
    f.write("""local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
function init(args) counter = (tid or 0) * 7919 end
request = function()
  counter = counter + 1
  local i = (counter % #paths) + 1
  return wrk.format(nil, paths[i], { ["Authorization"] = "Bearer " .. tokens[i] })
end
""")
PY
}

# bench_posts FILE TOKENS PATHS BODIES: like bench_requests, for POSTs;
# BODIES holds one JSON body per line.
bench_posts() {
  python3 - "$1" "$2" "$3" "$4" <<'PY'
import json, sys
out = sys.argv[1]
tokens, paths = open(sys.argv[2]).read().split(), open(sys.argv[3]).read().split()
bodies = [l for l in open(sys.argv[4]).read().splitlines() if l.strip()]
q = lambda xs: "{" + ",".join(json.dumps(x) for x in xs) + "}"
with open(out, "w") as f:
    f.write(f"tokens = {q(tokens)}\npaths = {q(paths)}\nbodies = {q(bodies)}\n")
    f.write("""local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
function init(args) counter = (tid or 0) * 7919 end
request = function()
  counter = counter + 1
  local i = (counter % #paths) + 1
  return wrk.format("POST", paths[i],
    { ["Authorization"] = "Bearer " .. tokens[i], ["Content-Type"] = "application/json" }, bodies[i])
end
""")
PY
}

# wrk -> "req/s p50 p99 errors"
bench_wrk() {
  local out="$bench_work/wrk.txt"
  if [ -n "${2:-}" ]; then
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$2" "$1" >"$out"
  else
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "$1" >"$out"
  fi
  awk '/^Requests\/sec/ {r=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} /Non-2xx|Socket errors/ {e=e $0 " "} END {print r, p50, p99, (e==""?"none":e)}' "$out"
}

bench_ceiling() {
  local rps p50 p99 err
  read -r rps p50 p99 err < <(bench_wrk "$2" "${3:-}")
  bench_ceiling_rps=$rps
  echo "| $1 | $rps | $p50 | $p99 | $err | 100% |"
}

bench_row() {
  local rps p50 p99 err ratio
  read -r rps p50 p99 err < <(bench_wrk "$2" "${3:-}")
  ratio=$(python3 -c "print('%.0f%%' % (100 * $rps / $bench_ceiling_rps) if '$bench_ceiling_rps' else '-')")
  echo "| $1 | $rps | $p50 | $p99 | $err | $ratio |"
}

bench_table_head() {
  echo "| load | req/s | p50 | p99 | errors | of the ceiling |"
  echo "|---|---|---|---|---|---|"
}

# bench_section NAME MARKDOWN: replaces (or appends) the marked section.
bench_section() {
  python3 - "$bench_root/bench/RESULTS.md" "$1" "$2" <<'PY'
import re, sys
path, name, body = sys.argv[1], sys.argv[2], sys.argv[3]
try:
    text = open(path).read()
except FileNotFoundError:
    text = "# Benchmark results\n"
block = f"<!-- {name}:start -->\n{body.strip()}\n<!-- {name}:end -->"
pattern = re.compile(rf"<!-- {re.escape(name)}:start -->.*?<!-- {re.escape(name)}:end -->", re.S)
text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
open(path, "w").write(text)
PY
}

# Small helpers of the module scripts.
json_id() { python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])'; }
# post_ok TOKEN PATH BODY: the answer's body, or the status and body on stderr and a failure.
post_ok() {
  local code
  code=$(curl -sS -o "$bench_work/answer.json" -w '%{http_code}' -X POST "$host$2" \
    -H "authorization: Bearer $1" -H 'content-type: application/json' -d "$3")
  case $code in
    2??) cat "$bench_work/answer.json" ;;
    *) echo "POST $2 answered $code: $(cat "$bench_work/answer.json")" >&2; return 1 ;;
  esac
}
col() { echo "$1" | awk -F'|' -v col="$2" '{gsub(/^ +| +$/, "", $col); print $col}'; }
# bench_once_lua FILE TSV: a wrk script sending each (token, path, body) row of a tab-separated file
# at most once: thread t takes rows t, t + THREADS, ... (wrapping only when
# the file runs out, which the run checks).
bench_once_lua() {
  cat >"$1" <<LUA
local file, nthreads = "$2", $THREADS
local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
function init(args)
  rows = {}
  for line in io.lines(file) do
    local t, p, b = line:match("^(%S+)\t(%S+)\t(.*)$")
    rows[#rows + 1] = { t, p, b }
  end
  counter = (tid or 0) - nthreads
end
request = function()
  counter = counter + nthreads
  local r = rows[(counter % #rows) + 1]
  return wrk.format("POST", r[2], { ["Authorization"] = "Bearer " .. r[1], ["Content-Type"] = "application/json" }, r[3])
end
LUA
}

