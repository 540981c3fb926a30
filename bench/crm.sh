#!/usr/bin/env bash
# CRM on PostgreSQL + Redis (production settings), through the shared harness
# (bench/lib.sh), beside the ceiling measured in the same run. One
# organization holds CONTACTS contacts (default 100,000) seeded through SQL
# with tags and custom fields (`industry`, a select; `employees`, a number):
#   - GET /api/v1/contacts?limit=50: the plain list (database path; CRM lists
#     have no list cache);
#   - GET /api/v1/contacts?q=<prefix>&limit=50, rotating over name and email
#     prefixes;
#   - GET /api/v1/contacts?cf.industry=<option>&limit=50 and
#     ?cf.employees_gte=<n>&limit=50: custom-field filters.
# Throughput at CONNECTIONS (64) connections, latency at 2 (one per core).
# Writes the `crm` section of bench/RESULTS.md.
#
#   bash bench/crm.sh        # DURATION=8 CONNECTIONS=64 THREADS=1 CONTACTS=100000
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_init
bench_stack
host=${base%/api/v1}
CONTACTS=${CONTACTS:-100000}

read -r token org < <(bench_org "Contacts galore")
auth=(-H "authorization: Bearer $token" -H 'content-type: application/json')
curl -fsS -X POST "$base/crm/custom-fields" "${auth[@]}" -d '{"entity":"contact","key":"industry","label":"Industry","type":"select","options":["retail","manufacturing","services","public","energy","finance","health","media"]}' >/dev/null
curl -fsS -X POST "$base/crm/custom-fields" "${auth[@]}" -d '{"entity":"contact","key":"employees","label":"Employees","type":"number"}' >/dev/null

seed_started=$SECONDS
psql "$db_url" -q <<SQL
INSERT INTO contacts (id, organization_id, first_name, last_name, email, email_key, phone, title,
    customer_id, owner_id, tags, custom_fields, do_not_contact, active, created_at, updated_at, version)
  SELECT id, '$org', f, l, e, e, '+44 20 7946 ' || lpad((g % 10000)::text, 4, '0'), 'Buyer', NULL, NULL,
    CASE WHEN g % 7 = 0 THEN '["vip"]'::jsonb ELSE '[]'::jsonb END,
    jsonb_build_object('industry', (ARRAY['retail','manufacturing','services','public','energy','finance','health','media'])[1 + g % 8],
                       'employees', (g * 37) % 5000),
    g % 50 = 0, true, ts, ts, 1
  FROM (
    SELECT g,
      (ARRAY['Olivia','Liam','Amelia','Noah','Isla','Oliver','Ava','George','Mia','Arthur','Ivy','Leo',
             'Freya','Oscar','Lily','Harry','Sofia','Jack','Grace','Theo'])[1 + g % 20] AS f,
      (ARRAY['Smith','Jones','Taylor','Brown','Williams','Wilson','Johnson','Davies','Patel','Robinson',
             'Wright','Thompson','Evans','Walker','White','Roberts','Green','Hall','Thomas','Clarke',
             'Jackson','Wood','Harris','Edwards','Turner','Martin','Cooper','Hill','Ward','Hughes',
             'Moore','Clark','King','Harrison','Lewis','Baker','Lee','Allen','Morris','Khan',
             'Scott','Watson','Davis','Parker','James','Bennett','Young','Phillips','Richardson','Mitchell'])[1 + (g / 20) % 50]
        || CASE WHEN g % 3 = 0 THEN '-' || g ELSE '' END AS l,
      'c' || g || '@example' || (g % 97) || '.com' AS e,
      now() - make_interval(secs => ($CONTACTS - g) * 900) AS ts,
      -- UUIDv7-shaped ids in creation order, as the API would have made them.
      (lpad(to_hex((extract(epoch FROM now() - make_interval(secs => ($CONTACTS - g) * 900)) * 1000)::bigint), 12, '0')
        || '7' || substr(md5(g::text), 1, 3) || '8' || substr(md5(g::text), 4, 15))::uuid AS id
    FROM generate_series(1, $CONTACTS) g
  ) s;
SQL
psql "$db_url" -qc "VACUUM (ANALYZE) contacts"
seed_secs=$((SECONDS - seed_started))
count=$(bench_sql "SELECT count(*) FROM contacts WHERE organization_id = '$org'")

# What each load asks for.
: >"$bench_work/tokens"
for _ in $(seq 1 8); do echo "$token" >>"$bench_work/tokens"; done
printf '/api/v1/contacts?limit=50\n%.0s' $(seq 1 8) >"$bench_work/list"
printf '%s\n' '/api/v1/contacts?q=smi&limit=50' '/api/v1/contacts?q=pat&limit=50' '/api/v1/contacts?q=c1234&limit=50' \
  '/api/v1/contacts?q=khan&limit=50' '/api/v1/contacts?q=oli&limit=50' '/api/v1/contacts?q=mitch&limit=50' \
  '/api/v1/contacts?q=c9&limit=50' '/api/v1/contacts?q=zz&limit=50' >"$bench_work/q"
printf '%s\n' '/api/v1/contacts?cf.industry=retail&limit=50' '/api/v1/contacts?cf.industry=energy&limit=50' \
  '/api/v1/contacts?cf.industry=media&limit=50' '/api/v1/contacts?cf.industry=public&limit=50' \
  '/api/v1/contacts?cf.industry=finance&limit=50' '/api/v1/contacts?cf.industry=health&limit=50' \
  '/api/v1/contacts?cf.industry=services&limit=50' '/api/v1/contacts?cf.industry=manufacturing&limit=50' >"$bench_work/cf"
printf '%s\n' '/api/v1/contacts?cf.employees_gte=4990&limit=50' '/api/v1/contacts?cf.employees_gte=2500&limit=50' \
  '/api/v1/contacts?cf.employees_gte=4000&cf.industry=retail&limit=50' '/api/v1/contacts?cf.employees_gte=4999&limit=50' \
  '/api/v1/contacts?cf.employees_gte=100&limit=50' '/api/v1/contacts?cf.employees_gte=4900&limit=50' \
  '/api/v1/contacts?cf.employees_gte=3000&limit=50' '/api/v1/contacts?cf.employees_gte=4995&limit=50' >"$bench_work/range"
for l in list q cf range; do bench_requests "$bench_work/$l.lua" "$bench_work/tokens" "$bench_work/$l"; done
bench_sql "SELECT '/pk/' || id FROM users" >"$bench_work/pk"
bench_sql "SELECT 'x' FROM users" >"$bench_work/pk-tokens"
bench_requests "$bench_work/pk.lua" "$bench_work/pk-tokens" "$bench_work/pk"

# Every load answers 200 with rows before it is measured.
for l in list q cf range; do
  while read -r path; do
    curl -fsS "$host$path" -H "authorization: Bearer $token" >/dev/null
  done <"$bench_work/$l"
done
first=$(curl -fsS "$base/contacts?limit=50" -H "authorization: Bearer $token" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["data"]))')
for l in list q cf range; do DURATION=2 bench_wrk "$host/" "$bench_work/$l.lua" >/dev/null; done
DURATION=2 bench_wrk "$ceiling/" "$bench_work/pk.lua" >/dev/null

echo "x" >"$bench_work/cl-tokens"; echo "/contacts/$org" >"$bench_work/cl"
bench_requests "$bench_work/cl.lua" "$bench_work/cl-tokens" "$bench_work/cl"
DURATION=2 bench_wrk "$ceiling/" "$bench_work/cl.lua" >/dev/null
rows=$(
  bench_table_head
  bench_ceiling "ceiling \`GET /pk/{id}\` (bench/ceiling.rs: bare actix-web, one SeaORM primary-key select)" "$ceiling/" "$bench_work/pk.lua"
  bench_row "list ceiling \`GET /contacts/{org}\` (bench/ceiling.rs: bare actix-web, Mainstay's page query, every column as JSON)" "$ceiling/" "$bench_work/cl.lua"
  bench_row "\`GET /contacts?limit=50\`" "$host/" "$bench_work/list.lua"
  bench_row "\`GET /contacts?q=<prefix>&limit=50\` (8 name and email prefixes)" "$host/" "$bench_work/q.lua"
  bench_row "\`GET /contacts?cf.industry=<option>&limit=50\` (8 options)" "$host/" "$bench_work/cf.lua"
  bench_row "\`GET /contacts?cf.employees_gte=<n>&limit=50\` (8 bounds)" "$host/" "$bench_work/range.lua"
)
# Where the list's time goes: the page query alone, from pgbench (8 clients,
# no HTTP, no decoding), beside the same query through the bare handler.
cat >"$bench_work/page.sql" <<SQL
SELECT id, first_name, last_name, email, email_key, phone, title, customer_id, owner_id, tags,
  custom_fields, do_not_contact, active, created_at, updated_at, version
FROM contacts WHERE organization_id = '$org' AND active = true ORDER BY id DESC LIMIT 51;
SQL
pg_tps=$(pgbench -n -c 8 -j 2 -T "$DURATION" -f "$bench_work/page.sql" "$db_url" 2>/dev/null |
  awk '/^tps/ {print int($3)}')
cat >"$bench_work/page-ids.sql" <<SQL
SELECT id FROM contacts WHERE organization_id = '$org' AND active = true ORDER BY id DESC LIMIT 51;
SQL
pg_ids_tps=$(pgbench -n -c 8 -j 2 -T "$DURATION" -f "$bench_work/page-ids.sql" "$db_url" 2>/dev/null |
  awk '/^tps/ {print int($3)}')

# The ratios of the latency rows are to the same primary-key ceiling.
bench_ceiling_rps=$(echo "$rows" | awk -F'|' 'index($0, "GET /pk/") {gsub(/ /, "", $3); print $3}')
latency=$(
  bench_table_head
  CONNECTIONS=2 bench_row "\`GET /contacts?q=<prefix>&limit=50\`, 2 connections" "$host/" "$bench_work/q.lua"
  CONNECTIONS=2 bench_row "\`GET /contacts?cf.industry=<option>&limit=50\`, 2 connections" "$host/" "$bench_work/cf.lua"
  CONNECTIONS=2 bench_row "\`GET /contacts?cf.employees_gte=<n>&limit=50\`, 2 connections" "$host/" "$bench_work/range.lua"
)

field() { echo "$1" | awk -F'|' -v pat="$2" -v col="$3" 'index($0, pat) {gsub(/^ +| +$/, "", $col); print $col}'; }
ms() { python3 -c "v='$1'; print(float(v[:-2]) if v.endswith('ms') else float(v[:-2])/1000 if v.endswith('us') else float(v[:-1])*1000)"; }
verdict() { python3 -c "print('met' if $1 else 'NOT met')"; }
l_rps=$(field "$rows" "contacts?limit=50" 3); l_err=$(field "$rows" "contacts?limit=50" 6)
c_rps=$(field "$rows" "list ceiling" 3)
q_p99=$(field "$latency" "q=<prefix>" 5); cf_p99=$(field "$latency" "cf.industry" 5); r_p99=$(field "$latency" "employees_gte" 5)
bench_section crm "$(cat <<MD
## CRM: contact lists over $count contacts

\`DURATION=$DURATION CONNECTIONS=$CONNECTIONS THREADS=$THREADS bash bench/crm.sh\` on $(date -u +%Y-%m-%d),
$(nproc) cores; PostgreSQL + Redis on this machine, Mainstay in production settings (no list
cache: CRM lists always read the database); $count contacts in one organization seeded through
SQL in ${seed_secs}s (tags, custom fields \`industry\` and \`employees\`, UUIDv7 ids over years),
then \`VACUUM (ANALYZE)\`. The first page has $first rows.

$rows

The page query alone, \`pgbench -c 8 -j 2 -T $DURATION\` on the same database (no HTTP, no
decoding, pgbench sharing the two cores): $pg_tps queries/s with every column, $pg_ids_tps with the ids
only (the same index scan without reading and sending the rows).

Latency at 2 connections (one per core):

$latency

| target | figure | verdict |
|---|---|---|
| \`GET /contacts?limit=50\` at least 5,000 req/s, zero errors | $l_rps (errors: $l_err); the bare handler running the same query: $c_rps | $(verdict "$l_rps >= 5000 and '$l_err' == 'none'") |
| \`GET /contacts?q=<prefix>\` p99 at most 50 ms (2 connections) | $q_p99 | $(verdict "$(ms "$q_p99") <= 50") |
| custom-field filter p99 at most 50 ms (2 connections): equality / range | $cf_p99 / $r_p99 | $(verdict "$(ms "$cf_p99") <= 50 and $(ms "$r_p99") <= 50") |
MD
)"
sed -n '/<!-- crm:start -->/,/<!-- crm:end -->/p' bench/RESULTS.md
