#!/usr/bin/env bash
# Benchmarks, each against a ceiling measured in the same run (bench/ceiling.rs):
#  1. platform: GET /health vs a bare actix JSON handler; idle/peak RSS; start to ready.
#  2. identity (PostgreSQL + Redis): GET /api/v1/auth/me vs a bare actix handler
#     doing one SeaORM primary-key select; then /auth/me p99 alone and during a
#     login storm (bcrypt cost 12).
#  3. inventory (PostgreSQL + Redis, 10,000 products per organization):
#     GET /api/v1/products?limit=20; POST /api/v1/inventory/issues over 1,000
#     products; one hot product issued until empty (zero oversell checked in
#     the database).
#  4. read path (bench/read-path.sh, through the shared harness bench/lib.sh):
#     the ceiling's GET /pk/{id}, GET /api/v1/products/{id} and the uncached
#     GET /api/v1/products?limit=20, with their ratios, in one run.
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
inventory_md="Inventory benchmark skipped: PostgreSQL or Redis not reachable."
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

  # ---- inventory: 10,000 products per organization ------------------------
  # Four Enterprise organizations for the list and spread-issue loads, a fifth
  # for the hot product. Products are inserted with SQL (10,000 each); stock
  # arrives through the API (receipts into the ledger).
  inv_tokens=(); inv_whs=(); inv_orgs=()
  new_org() { # name -> "token org warehouse"
    local onboard t org wh
    onboard=$(curl -fsS -X POST "$base/organizations/onboard" -H 'content-type: application/json' \
      -d "{\"organization_name\":\"$1\",\"email\":\"$(echo "$1" | tr ' A-Z' '-a-z')@example.com\",\"password\":\"tangerine-orbit-42\",\"full_name\":\"Bench Owner\"}")
    t=$(echo "$onboard" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
    org=$(echo "$onboard" | python3 -c 'import json,sys; print(json.load(sys.stdin)["organization"]["id"])')
    curl -fsS -X POST "$base/organizations/$org/subscription" -H "authorization: Bearer $t" \
      -H 'content-type: application/json' -d '{"plan":"enterprise"}' >/dev/null
    wh=$(curl -fsS -X POST "$base/warehouses" -H "authorization: Bearer $t" -H 'content-type: application/json' \
      -d '{"code":"MAIN","name":"Main"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
    psql "$db_url" -qc "INSERT INTO products (id, organization_id, sku, name, description, kind, uom, sale_price,
        standard_cost, reorder_point, reorder_quantity, active, created_at, updated_at, version)
      SELECT gen_random_uuid(), '$org', 'SKU-' || lpad(g::text, 5, '0'), 'Product ' || g, '', 'stock', 'unit',
        40000, 25000, 1000000, 5000000, true, now(), now(), 1 FROM generate_series(1, 10000) g"
    echo "$t $org $wh"
  }
  stock_up() { # token org warehouse count quantity: receives `quantity` of the first `count` SKUs
    psql "$db_url" -Atc "SELECT id FROM products WHERE organization_id = '$2' ORDER BY sku LIMIT $4" >"$work/ids-$2"
    python3 - "$work/ids-$2" "$3" "$5" "$work/receipts-$2" <<'PY'
import json, sys
ids = open(sys.argv[1]).read().split()
with open(sys.argv[4], "w") as out:
    for i in range(0, len(ids), 200):
        out.write(json.dumps({"warehouse_id": sys.argv[2], "reason": "bench stock",
            "lines": [{"product_id": p, "quantity": sys.argv[3], "unit_cost": "2.50"} for p in ids[i:i + 200]]}) + "\n")
PY
    while read -r body; do
      curl -fsS -o /dev/null -X POST "$base/inventory/receipts" -H "authorization: Bearer $1" \
        -H 'content-type: application/json' -d "$body"
    done <"$work/receipts-$2"
  }
  for i in 1 2 3 4; do
    read -r t org wh < <(new_org "Stock $i")
    stock_up "$t" "$org" "$wh" 1000 1000000
    inv_tokens+=("\"$t\""); inv_whs+=("\"$wh\""); inv_orgs+=("$org")
  done
  # Planner statistics as a live database has them (autovacuum would gather
  # them within a minute of the bulk insert).
  psql "$db_url" -qc "ANALYZE"
  lua_ids() { python3 -c 'import sys; print("{" + ",".join(chr(34) + l.strip() + chr(34) for l in open(sys.argv[1]) if l.strip()) + "}")' "$1"; }
  product_lists=$(for o in "${inv_orgs[@]}"; do printf '%s,' "$(lua_ids "$work/ids-$o")"; done)
  cat > "$work/products.lua" <<LUA
tokens = { $(IFS=,; echo "${inv_tokens[*]}") }
counter = 0
request = function()
  counter = counter + 1
  return wrk.format(nil, nil, { ["Authorization"] = "Bearer " .. tokens[(counter % #tokens) + 1] })
end
LUA
  cat > "$work/issues.lua" <<LUA
tokens = { $(IFS=,; echo "${inv_tokens[*]}") }
warehouses = { $(IFS=,; echo "${inv_whs[*]}") }
products = { ${product_lists%,} }
local threads = 0
function setup(thread) thread:set("tid", threads); threads = threads + 1 end
function init(args) counter = (tid or 0) * 7919 end
request = function()
  counter = counter + 1
  local o = (counter % #tokens) + 1
  local list = products[o]
  local p = list[(math.floor(counter / #tokens) % #list) + 1]
  return wrk.format("POST", nil,
    { ["Authorization"] = "Bearer " .. tokens[o], ["Content-Type"] = "application/json" },
    '{"warehouse_id":"' .. warehouses[o] .. '","lines":[{"product_id":"' .. p .. '","quantity":"1"}]}')
end
LUA
  read -r pl_rps pl_p50 pl_p99 pl_err < <(
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$work/products.lua" "$base/products?limit=20" >"$work/pl.txt"
    awk '/^Requests\/sec/ {r=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} /Non-2xx|Socket errors/ {e=e $0 " "} END {print r, p50, p99, (e==""?"none":e)}' "$work/pl.txt")
  read -r pu_rps pu_p50 pu_p99 pu_err < <(
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$work/products.lua" "$base/products?limit=20&low_stock=false" >"$work/pu.txt"
    awk '/^Requests\/sec/ {r=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} /Non-2xx|Socket errors/ {e=e $0 " "} END {print r, p50, p99, (e==""?"none":e)}' "$work/pu.txt")
  page_rows=$(curl -fsS "$base/products?limit=20" -H "authorization: Bearer ${inv_tokens[0]//\"/}" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]))')
  read -r is_rps is_p50 is_p99 is_err < <(
    wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$work/issues.lua" "$base/inventory/issues" >"$work/is.txt"
    awk '/^Requests\/sec/ {r=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} /Non-2xx|Socket errors/ {e=e $0 " "} END {print r, p50, p99, (e==""?"none":e)}' "$work/is.txt")
  is_total=$(awk '/requests in/ {print $1}' "$work/is.txt")
  is_ledger=$(psql "$db_url" -Atc "SELECT count(*) FROM stock_movements WHERE kind = 'issue'")
  is_audited=$(psql "$db_url" -Atc "SELECT count(*) FROM audit_logs WHERE action = 'inventory.stock.issued'")
  is_consistent=$(psql "$db_url" -Atc "SELECT count(*) FROM stock_levels l LEFT JOIN (SELECT product_id, warehouse_id, sum(quantity) AS s
    FROM stock_movements GROUP BY product_id, warehouse_id) m USING (product_id, warehouse_id) WHERE l.on_hand <> coalesce(m.s, 0)")

  # Hot product: HOT units of one product, hammered by every connection.
  HOT=${HOT:-2000}
  read -r hot_t hot_org hot_wh < <(new_org "Hot")
  stock_up "$hot_t" "$hot_org" "$hot_wh" 1 "$HOT"
  hot_p=$(head -1 "$work/ids-$hot_org")
  cat > "$work/hot.lua" <<LUA
wrk.method = "POST"
wrk.headers["Authorization"] = "Bearer $hot_t"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"warehouse_id":"$hot_wh","lines":[{"product_id":"$hot_p","quantity":"1"}]}'
LUA
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s "$work/hot.lua" "$base/inventory/issues" >"$work/hot.txt"
  hot_rps=$(awk '/^Requests\/sec/ {print $2}' "$work/hot.txt")
  hot_total=$(awk '/requests in/ {print $1}' "$work/hot.txt")
  hot_non2xx=$(awk '/Non-2xx/ {print $NF}' "$work/hot.txt"); hot_non2xx=${hot_non2xx:-0}
  hot_sock=$(awk '/Socket errors/ {print}' "$work/hot.txt"); hot_sock=${hot_sock:-none}
  hot_ok=$((hot_total - hot_non2xx))
  hot_issued=$(psql "$db_url" -Atc "SELECT count(*) FROM stock_movements WHERE product_id = '$hot_p' AND kind = 'issue'")
  hot_on_hand=$(psql "$db_url" -Atc "SELECT on_hand / 10000 FROM stock_levels WHERE product_id = '$hot_p'")
  hot_ledger=$(psql "$db_url" -Atc "SELECT sum(quantity)::bigint / 10000 FROM stock_movements WHERE product_id = '$hot_p'")
  inventory_md=$(cat <<MD3
## Inventory (PostgreSQL + Redis, 10,000 products per organization)

The same server as above. Four Enterprise organizations hold 10,000 products
each (inserted with SQL, then \`ANALYZE\`) and 1,000,000 units of 1,000 of them
(received through \`POST /inventory/receipts\`). Loads rotate over the four
organizations' tokens. Product lists are served from a generation-keyed Redis
cache that every product or category change drops, so this load measures cache
hits after the first request of each organization. On PostgreSQL an issue is
one statement (the conditional UPDATE of each product's level, the movements
and the audit record, written only when every product had the stock), so an
issue of one product is one round trip to the database.

| load | req/s | p50 | p99 | errors |
|---|---|---|---|---|
| \`GET /api/v1/products?limit=20\` ($page_rows rows a page) | $pl_rps | $pl_p50 | $pl_p99 | $pl_err |
| \`GET /api/v1/products?limit=20&low_stock=false\` (never cached: the database path, with the stock subquery) | $pu_rps | $pu_p50 | $pu_p99 | $pu_err |
| \`POST /api/v1/inventory/issues\`, 1 unit, rotating over 1,000 products a organization | $is_rps | $is_p50 | $is_p99 | $is_err |

After the issue load: $is_total requests answered within the run (wrk does not
count those still in flight when it stops), $is_ledger issue movements in the
ledger and $is_audited audit records of issues (one issue, one record),
$is_consistent stock levels that differ from the sum of their movements.

Hot product: $HOT units of one product in a fifth organization, \`wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s\`
of \`POST /inventory/issues\` for 1 unit each: $hot_total requests at $hot_rps req/s, $hot_ok answered 2xx,
$hot_non2xx answered non-2xx (409 \`insufficient_stock\` once the shelf is empty), socket errors: $hot_sock.
The ledger holds $hot_issued issue movements; on hand is $hot_on_hand; the movements sum to $hot_ledger.

| target | figure | verdict |
|---|---|---|
| GET /products?limit=20 at least 5,000 req/s | $pl_rps (errors: $pl_err) | $(verdict "$pl_rps >= 5000 and '$pl_err' == 'none'") |
| POST /inventory/issues over 1,000 products at least 1,500 req/s, zero errors | $is_rps (errors: $is_err) | $(verdict "$is_rps >= 1500 and '$is_err' == 'none' and $is_consistent == 0 and $is_audited == $is_ledger") |
| hot product: zero oversell (issued = stock, on hand 0, ledger = level) | issued $hot_issued of $HOT, on hand $hot_on_hand, 2xx $hot_ok | $(verdict "$hot_issued == $HOT and $hot_on_hand == 0 and $hot_ledger == 0 and $hot_ok == $HOT") |
MD3
)
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

# Sections other scripts own (bench/growth.sh, bench/sales.sh, the scripts/cluster.sh record)
# stand between <!-- name:start --> and <!-- name:end -->; keep them.
growth_md=$(python3 -c 'import re,sys; print("\n\n".join(m.group(0) for m in re.finditer(r"<!-- ([\w-]+):start -->.*?<!-- \1:end -->", open(sys.argv[1]).read(), re.S)))' bench/RESULTS.md 2>/dev/null || true)
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

$inventory_md

$growth_md
MD
# The read path (ceiling, GET /products/{id}, the uncached list) writes its
# own marked section through the shared harness (bench/lib.sh).
if psql "$PG_URL" -Atc 'select 1' >/dev/null 2>&1 && redis-cli -u "$REDIS" ping >/dev/null 2>&1; then
  bash bench/read-path.sh >/dev/null
  BENCH_PG_PARAMS=sslmode=disable SECTION=read-path-plain bash bench/read-path.sh >/dev/null
fi
cat bench/RESULTS.md
