#!/usr/bin/env bash
# Data that grows (issue 10): one organization with years of history,
# 1,000,000 stock movements and 1,000,000 audit records, on PostgreSQL + Redis
# in production settings. Measures, each beside a ceiling from the same run:
#   GET /api/v1/inventory/movements?limit=50
#   GET /api/v1/inventory/movements?limit=50&product_id=...   (rotating over 1,000 products)
#   GET /api/v1/audit-logs?limit=50
# These lists have no cache: every request is the database path. Also prints
# the PostgreSQL plan of each list query. Writes the "Data that grows" section
# of bench/RESULTS.md (between its markers), leaving the rest as it is.
#
#   bash bench/growth.sh     # DURATION=10 CONNECTIONS=64 THREADS=2 ROWS=1000000
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10}
CONNECTIONS=${CONNECTIONS:-64}
THREADS=${THREADS:-2}
ROWS=${ROWS:-1000000}
PG_URL=${PG_URL:-postgres://postgres@127.0.0.1:5432/postgres}
REDIS=${REDIS:-redis://127.0.0.1:6379}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk; }
cargo build --release --locked --bin mainstay --example ceiling

work=$(mktemp -d)
pids=()
bench_db="mainstay_growth_$$"
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  psql "$PG_URL" -qc "DROP DATABASE IF EXISTS $bench_db" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_ok() { for _ in $(seq 1 2000); do curl -fs "$1" >/dev/null 2>&1 && return 0; sleep 0.005; done; return 1; }
json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
secret=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')

psql "$PG_URL" -qc "CREATE DATABASE $bench_db"
db_url="${PG_URL%/*}/$bench_db"
port=$(free_port)
(cd "$work" && exec env -i PATH="$PATH" MAINSTAY_ENV=production HOST=127.0.0.1 PORT="$port" \
   DATABASE_URL="$db_url" REDIS_URL="$REDIS" MAINSTAY__REDIS__KEY_PREFIX="growth$$:" JWT_SECRET="$secret" \
   "$OLDPWD/target/release/mainstay" serve >"$work/mainstay.log" 2>&1) & mpid=$!; pids+=("$mpid")
wait_ok "http://127.0.0.1:$port/ready"
base="http://127.0.0.1:$port/api/v1"

onboard=$(curl -fsS -X POST "$base/organizations/onboard" -H 'content-type: application/json' \
  -d '{"organization_name":"Years of data","email":"growth@example.com","password":"tangerine-orbit-42","full_name":"Bench Owner"}')
token=$(echo "$onboard" | json '["access_token"]')
org=$(echo "$onboard" | json '["organization"]["id"]')
user=$(echo "$onboard" | json '["user"]["id"]')
curl -fsS -X POST "$base/organizations/$org/subscription" -H "authorization: Bearer $token" \
  -H 'content-type: application/json' -d '{"plan":"enterprise"}' >/dev/null
wh=$(curl -fsS -X POST "$base/warehouses" -H "authorization: Bearer $token" -H 'content-type: application/json' \
  -d '{"code":"MAIN","name":"Main"}' | json '["id"]')

# Seed: 1,000 products with a level each, then ROWS movements and ROWS audit
# records spread evenly over three years, with UUIDv7 ids of their own time
# (as the application writes them), in one organization.
seed_started=$SECONDS
psql "$db_url" -v ON_ERROR_STOP=1 -q <<SQL
CREATE FUNCTION pg_temp.uuid_v7_at(ts timestamptz) RETURNS uuid LANGUAGE sql VOLATILE AS \$\$
  SELECT encode(set_bit(set_bit(overlay(uuid_send(gen_random_uuid()) PLACING
    substring(int8send(floor(extract(epoch FROM ts) * 1000)::bigint) FROM 3) FROM 1 FOR 6), 52, 1), 53, 1), 'hex')::uuid
\$\$;
INSERT INTO products (id, organization_id, sku, name, description, kind, uom, sale_price,
    standard_cost, reorder_point, reorder_quantity, active, created_at, updated_at, version)
  SELECT gen_random_uuid(), '$org', 'SKU-' || lpad(g::text, 5, '0'), 'Product ' || g, '', 'stock', 'unit',
    40000, 25000, 0, 0, true, now(), now(), 1 FROM generate_series(1, 1000) g;
INSERT INTO stock_levels (organization_id, product_id, warehouse_id, on_hand, reserved, avg_cost, updated_at)
  SELECT '$org', id, '$wh', 0, 0, 25000, now() FROM products WHERE organization_id = '$org';
INSERT INTO stock_movements (id, organization_id, product_id, warehouse_id, kind, quantity, unit_cost,
    reason, reference_type, reference_id, transfer_id, actor_id, created_at)
  SELECT pg_temp.uuid_v7_at(ts), '$org', p.ids[1 + g % 1000], '$wh',
    CASE WHEN g % 3 = 0 THEN 'issue' ELSE 'receipt' END,
    CASE WHEN g % 3 = 0 THEN -10000 ELSE 10000 END, 25000, 'seed', NULL, NULL, NULL, '$user', ts
  FROM (SELECT array_agg(id ORDER BY sku) AS ids FROM products WHERE organization_id = '$org') p,
       generate_series(1, $ROWS) g,
       LATERAL (SELECT now() - interval '3 years' * (1 - g::float8 / $ROWS)) t(ts);
UPDATE stock_levels l SET on_hand = m.s FROM
  (SELECT product_id, sum(quantity) AS s FROM stock_movements WHERE organization_id = '$org' GROUP BY product_id) m
  WHERE l.product_id = m.product_id AND l.organization_id = '$org';
INSERT INTO audit_logs (id, organization_id, actor_id, action, entity_type, entity_id, changes, request_id, created_at)
  SELECT pg_temp.uuid_v7_at(ts), '$org', '$user',
    (ARRAY['inventory.stock.received','inventory.stock.issued','inventory.product.updated','auth.session.revoked'])[1 + g % 4],
    (ARRAY['stock_movement','stock_movement','product','session'])[1 + g % 4],
    md5(g::text), NULL, NULL, ts
  FROM generate_series(1, $ROWS) g,
       LATERAL (SELECT now() - interval '3 years' * (1 - g::float8 / $ROWS)) t(ts);
SQL
psql "$db_url" -qc "VACUUM ANALYZE"
seed_secs=$((SECONDS - seed_started))
shared_buffers=$(psql "$db_url" -Atc "SHOW shared_buffers")
movements=$(psql "$db_url" -Atc "SELECT count(*) FROM stock_movements WHERE organization_id = '$org'")
audits=$(psql "$db_url" -Atc "SELECT count(*) FROM audit_logs WHERE organization_id = '$org'")
psql "$db_url" -Atc "SELECT id FROM products WHERE organization_id = '$org' ORDER BY sku" >"$work/products"

# The plans of the list queries, as the application sends them.
plan() { psql "$db_url" -Atc "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) $1" | sed 's/^/    /'; }
p1=$(head -1 "$work/products")
plans=$(cat <<P
GET /inventory/movements?limit=50:
$(plan "SELECT * FROM stock_movements WHERE organization_id = '$org' ORDER BY id DESC LIMIT 51")

GET /inventory/movements?limit=50&product_id=...:
$(plan "SELECT * FROM stock_movements WHERE organization_id = '$org' AND product_id = '$p1' ORDER BY id DESC LIMIT 51")

GET /audit-logs?limit=50:
$(plan "SELECT * FROM audit_logs WHERE organization_id = '$org' ORDER BY id DESC LIMIT 51")
P
)

cport=$(free_port)
(PORT="$cport" DATABASE_URL="$db_url" exec target/release/examples/ceiling >/dev/null 2>&1) & cpid=$!; pids+=("$cpid")
wait_ok "http://127.0.0.1:$cport/health"

cat > "$work/auth.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
LUA
python3 - "$work/products" "$token" >"$work/by-product.lua" <<'PY'
import sys
ids = [l.strip() for l in open(sys.argv[1]) if l.strip()]
print("products = {" + ",".join('"%s"' % i for i in ids) + "}")
print('wrk.headers["Authorization"] = "Bearer %s"' % sys.argv[2])
print("counter = 0")
print("request = function()\n  counter = counter + 1\n"
      "  return wrk.format(nil, wrk.path .. '&product_id=' .. products[(counter % #products) + 1])\nend")
PY
# wrk -> "req/s p50 p99 errors"
measure() { # url [lua]
  local script=()
  [ -n "${2:-}" ] && script=(-s "$2")
  wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency "${script[@]}" "$1" >"$work/wrk.txt"
  awk '/^Requests\/sec/ {r=$2} $1=="50%" {p50=$2} $1=="99%" {p99=$2} /Non-2xx|Socket errors/ {e=e $0 " "} END {print r, p50, p99, (e==""?"none":e)}' "$work/wrk.txt"
}
# The organization's plan allows 100,000 requests a minute: let each load
# start in a fresh minute window so none is refused by the budget.
fresh_window() { sleep $((61 - $(date +%s) % 60)); }

read -r c_rps c_p50 c_p99 c_err < <(measure "http://127.0.0.1:$cport/movements/$org")
sed "s/^wrk.headers.*//; s/'&product_id='/'?product_id='/" "$work/by-product.lua" >"$work/ceiling-by-product.lua"
read -r cp_rps cp_p50 cp_p99 cp_err < <(measure "http://127.0.0.1:$cport/movements/$org" "$work/ceiling-by-product.lua")
fresh_window
read -r m_rps m_p50 m_p99 m_err < <(measure "$base/inventory/movements?limit=50" "$work/auth.lua")
fresh_window
read -r p_rps p_p50 p_p99 p_err < <(measure "$base/inventory/movements?limit=50" "$work/by-product.lua")
fresh_window
read -r a_rps a_p50 a_p99 a_err < <(measure "$base/audit-logs?limit=50" "$work/auth.lua")
rows=$(curl -fsS "$base/inventory/movements?limit=50" -H "authorization: Bearer $token" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]))')

to_ms() { python3 -c "import re; v,u=re.match(r'([0-9.]+)(\w+)','$1').groups(); print(float(v)*{'us':0.001,'ms':1,'s':1000}[u])"; }
verdict() { python3 -c "print('met' if ($1 >= 3000 and $(to_ms "$2") <= 20 and '$3' == 'none') else 'NOT met')"; }
cmd="DURATION=$DURATION CONNECTIONS=$CONNECTIONS THREADS=$THREADS ROWS=$ROWS bash bench/growth.sh"
section=$(cat <<MD
<!-- growth:start -->
## Data that grows: lists over 1,000,000 movements and 1,000,000 audit records

Produced by \`$cmd\` on $(date -u +%Y-%m-%d) ($(nproc) cores; wrk, PostgreSQL,
Redis and the servers share the machine). One organization holds $movements
stock movements over 1,000 products and $audits audit records, spread over three
years with UUIDv7 ids of their own time (seeded with SQL in ${seed_secs} s, then
\`VACUUM ANALYZE\`); PostgreSQL's \`shared_buffers\` was $shared_buffers. Mainstay runs in production settings on PostgreSQL + Redis;
these lists have no cache, so every request is the database path (JWT, session
and budget in Redis, then the page query). Loads: \`wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency\`,
each in a fresh minute of the organization's request budget.

| load | req/s | p50 | p99 | errors |
|---|---|---|---|---|
| ceiling: bare actix-web, the same page query (\`bench/ceiling.rs\` \`/movements/{org}\`) | $c_rps | $c_p50 | $c_p99 | $c_err |
| \`GET /api/v1/inventory/movements?limit=50\` ($rows rows a page) | $m_rps | $m_p50 | $m_p99 | $m_err |
| ceiling: the same by-product page query (\`/movements/{org}?product_id=…\`, rotating) | $cp_rps | $cp_p50 | $cp_p99 | $cp_err |
| \`GET /api/v1/inventory/movements?limit=50&product_id=…\` (rotating over 1,000 products) | $p_rps | $p_p50 | $p_p99 | $p_err |
| \`GET /api/v1/audit-logs?limit=50\` | $a_rps | $a_p50 | $a_p99 | $a_err |

| target (p99 at most 20 ms, at least 3,000 req/s) | verdict |
|---|---|
| movements | $(verdict "$m_rps" "$m_p99" "$m_err") |
| movements by product | $(verdict "$p_rps" "$p_p99" "$p_err") |
| audit logs | $(verdict "$a_rps" "$a_p99" "$a_err") |

The plans (\`EXPLAIN (ANALYZE, BUFFERS)\` of the queries the lists send): a
backward scan of one \`(organization_id, …, id)\` index range, stopping after
51 rows, no sort.

\`\`\`
$plans
\`\`\`
<!-- growth:end -->
MD
)
python3 - bench/RESULTS.md "$section" <<'PY'
import re, sys
path, section = sys.argv[1], sys.argv[2]
text = open(path).read()
pattern = re.compile(r"<!-- growth:start -->.*?<!-- growth:end -->", re.S)
text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section + "\n"
open(path, "w").write(text)
PY
echo "$section"
