#!/usr/bin/env bash
# The authenticated database read, against its ceiling, in one run
# (PostgreSQL + Redis, production settings, product lists NOT cached):
#   - ceiling: bench/ceiling.rs GET /pk/{id} (bare actix-web, one SeaORM
#     primary-key select);
#   - Mainstay GET /api/v1/products/{id} and GET /api/v1/products?limit=20
#     (the database path: MAINSTAY__REDIS__LIST_CACHE=false);
#   - Mainstay GET /api/v1/auth/me (no database) for reference.
# Six Enterprise organizations with 10,000 products each; every load rotates
# over them. Writes the `read-path` section of bench/RESULTS.md.
#
#   bash bench/read-path.sh        # DURATION=8 CONNECTIONS=64 THREADS=1
#   BENCH_PG_PARAMS=sslmode=disable SECTION=read-path-plain bash bench/read-path.sh
#       # the same without TLS to PostgreSQL (sqlx's default `prefer` uses TLS
#       # whenever the server offers it, loopback included), in its own section
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_init
BENCH_ENV="MAINSTAY__REDIS__LIST_CACHE=false" bench_stack

ORGS=${ORGS:-6}
PRODUCTS=${PRODUCTS:-10000}
: >"$bench_work/tokens"; : >"$bench_work/one"; : >"$bench_work/list"; : >"$bench_work/list-tokens"
for i in $(seq 1 "$ORGS"); do
  read -r token org < <(bench_org "Read $i")
  bench_sql "INSERT INTO products (id, organization_id, sku, name, description, kind, uom, sale_price,
      standard_cost, reorder_point, reorder_quantity, active, created_at, updated_at, version)
    SELECT gen_random_uuid(), '$org', 'SKU-' || lpad(g::text, 6, '0'), 'Product ' || g, 'Bench product', 'stock',
      'unit', 40000, 25000, 100000, 500000, true, now() - (g || ' minutes')::interval, now(), 1
    FROM generate_series(1, $PRODUCTS) g"
  # 200 products of each organization, spread over the catalogue.
  bench_sql "SELECT '/api/v1/products/' || id FROM products WHERE organization_id = '$org' ORDER BY random() LIMIT 200" \
    >>"$bench_work/one"
  for _ in $(seq 1 200); do echo "$token" >>"$bench_work/tokens"; done
  echo "/api/v1/products?limit=20" >>"$bench_work/list"; echo "$token" >>"$bench_work/list-tokens"
done
bench_sql "ANALYZE" >/dev/null
bench_sql "SELECT '/pk/' || id FROM users" >"$bench_work/pk"
bench_sql "SELECT 'x' FROM users" >"$bench_work/pk-tokens"
# Rotate the ids evenly: shuffle (token, path) pairs together.
paste -d' ' "$bench_work/tokens" "$bench_work/one" >"$bench_work/pairs.in"
python3 -c 'import random,sys; l=open(sys.argv[1]).read().splitlines(); random.Random(7).shuffle(l); print("\n".join(l))' \
  "$bench_work/pairs.in" >"$bench_work/pairs"
cut -d' ' -f1 "$bench_work/pairs" >"$bench_work/tokens"; cut -d' ' -f2 "$bench_work/pairs" >"$bench_work/one"
bench_requests "$bench_work/pk.lua" "$bench_work/pk-tokens" "$bench_work/pk"
bench_requests "$bench_work/one.lua" "$bench_work/tokens" "$bench_work/one"
bench_requests "$bench_work/list.lua" "$bench_work/list-tokens" "$bench_work/list"
head -n "$ORGS" "$bench_work/list-tokens" >"$bench_work/me-tokens"
for _ in $(seq 1 "$ORGS"); do echo /api/v1/auth/me; done >"$bench_work/me"
bench_requests "$bench_work/me.lua" "$bench_work/me-tokens" "$bench_work/me"
host=${base%/api/v1}

# Warm every path once (connection pools, statement caches), then measure.
DURATION=2 bench_wrk "$host/" "$bench_work/one.lua" >/dev/null
DURATION=2 bench_wrk "$ceiling/" "$bench_work/pk.lua" >/dev/null
rows=$(
  bench_table_head
  bench_ceiling "ceiling \`GET /pk/{id}\` (bench/ceiling.rs: bare actix-web, one SeaORM primary-key select)" "$ceiling/" "$bench_work/pk.lua"
  bench_row "Mainstay \`GET /api/v1/products/{id}\` (1,200 products over $ORGS organizations)" "$host/" "$bench_work/one.lua"
  bench_row "Mainstay \`GET /api/v1/products?limit=20\` (database path, no list cache)" "$host/" "$bench_work/list.lua"
  bench_row "Mainstay \`GET /api/v1/auth/me\` (no database)" "$host/" "$bench_work/me.lua"
)
one_ratio=$(echo "$rows" | awk -F'|' '/products\/\{id\}/ {gsub(/[ %]/, "", $7); print $7}')
one_err=$(echo "$rows" | awk -F'|' '/products\/\{id\}/ {gsub(/^ +| +$/, "", $6); print $6}')
list_rps=$(echo "$rows" | awk -F'|' '/limit=20/ {gsub(/ /, "", $3); print $3}')
list_err=$(echo "$rows" | awk -F'|' '/limit=20/ {gsub(/^ +| +$/, "", $6); print $6}')
verdict() { python3 -c "print('met' if $1 else 'NOT met')"; }
tls="TLS to PostgreSQL (sqlx's default \`sslmode=prefer\`; the server offers TLS)"
[ -n "${BENCH_PG_PARAMS:-}" ] && tls="PostgreSQL URL parameters \`$BENCH_PG_PARAMS\`"
bench_section "${SECTION:-read-path}" "$(cat <<MD
## Read path: the authenticated database read against its ceiling (${SECTION:-read-path})

\`${BENCH_PG_PARAMS:+BENCH_PG_PARAMS=$BENCH_PG_PARAMS }${SECTION:+SECTION=$SECTION }DURATION=$DURATION CONNECTIONS=$CONNECTIONS THREADS=$THREADS bash bench/read-path.sh\` on $(date -u +%Y-%m-%d),
$(nproc) cores; PostgreSQL + Redis on this machine, Mainstay in production settings (JSON logs) with
\`MAINSTAY__REDIS__LIST_CACHE=false\`; $tls; $ORGS Enterprise organizations with $PRODUCTS products each;
\`wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s\`, each load rotating over the organizations.

$rows

| target | figure | verdict |
|---|---|---|
| \`GET /products/{id}\` at least 75% of the ceiling, zero errors | ${one_ratio}% (errors: $one_err) | $(verdict "$one_ratio >= 75 and '$one_err' == 'none'") |
| uncached \`GET /products?limit=20\` at least 5,000 req/s, zero errors | $list_rps (errors: $list_err) | $(verdict "$list_rps >= 5000 and '$list_err' == 'none'") |
MD
)"
sed -n "/<!-- ${SECTION:-read-path}:start -->/,/<!-- ${SECTION:-read-path}:end -->/p" bench/RESULTS.md
