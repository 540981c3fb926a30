#!/usr/bin/env bash
# Accounting on PostgreSQL + Redis (production settings), through the shared
# harness (bench/lib.sh), beside the ceiling measured in the same run:
#   - POST /api/v1/accounting/journal: a two-line entry, posted, rotating over
#     six Enterprise organizations;
#   - POST /api/v1/inventory/issues of 1 unit over 1,000 stocked products in
#     each of four organizations: every issue now posts its value to the
#     ledger (Dr cost of goods sold, Cr inventory) in the same transaction;
#     afterwards the database must show one posting per issue movement and
#     cost of goods sold equal to the value the movements took;
#   - one organization with 1,000,000 posted journal lines over three years:
#     GET /reports/trial-balance and a GET /ledger page (50 lines from the
#     middle of the range), p99 at 2 connections (one per core).
# Writes the `accounting` section of bench/RESULTS.md.
#
#   bash bench/accounting.sh        # DURATION=8 CONNECTIONS=64 THREADS=1; LINES=1000000
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_init
bench_stack
host=${base%/api/v1}
LINES=${LINES:-1000000}
today=$(date -u +%F)

# --- journal: six organizations, a two-line posted entry each request.
: >"$bench_work/j-tokens"; : >"$bench_work/j-paths"; : >"$bench_work/j-bodies"
for i in $(seq 1 6); do
  read -r token org < <(bench_org "Ledger $i")
  rent=$(bench_sql "SELECT id FROM accounts WHERE organization_id = '$org' AND code = '6010'")
  bank=$(bench_sql "SELECT id FROM accounts WHERE organization_id = '$org' AND code = '1020'")
  echo "$token" >>"$bench_work/j-tokens"
  echo /api/v1/accounting/journal >>"$bench_work/j-paths"
  echo "{\"date\":\"$today\",\"memo\":\"bench\",\"post\":true,\"lines\":[{\"account_id\":\"$rent\",\"debit\":\"12.50\"},{\"account_id\":\"$bank\",\"credit\":\"12.50\"}]}" >>"$bench_work/j-bodies"
done
bench_posts "$bench_work/journal.lua" "$bench_work/j-tokens" "$bench_work/j-paths" "$bench_work/j-bodies"

# --- issues: four organizations, 1,000 products each with stock seeded
# through SQL (levels with their value; the seed itself is not posted, so
# afterwards the inventory account holds minus what the issues took).
: >"$bench_work/i-tokens"; : >"$bench_work/i-paths"; : >"$bench_work/i-bodies"
issue_orgs=()
for i in $(seq 1 4); do
  read -r token org < <(bench_org "Stock $i")
  issue_orgs+=("$org")
  wh=$(curl -fsS -X POST "$base/warehouses" -H "authorization: Bearer $token" -H 'content-type: application/json' \
    -d '{"code":"MAIN","name":"Main"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
  bench_sql "INSERT INTO products (id, organization_id, sku, name, description, kind, uom, sale_price,
      standard_cost, reorder_point, reorder_quantity, active, created_at, updated_at, version)
    SELECT gen_random_uuid(), '$org', 'SKU-' || lpad(g::text, 6, '0'), 'Product ' || g, '', 'stock',
      'unit', 40000, 25000, 0, 0, true, now(), now(), 1 FROM generate_series(1, 1000) g"
  bench_sql "INSERT INTO stock_levels (organization_id, product_id, warehouse_id, on_hand, reserved, avg_cost,
      updated_at, value, moved_value)
    SELECT '$org', id, '$wh', 10000000000, 0, 25000, now(), 25000000000, 0
    FROM products WHERE organization_id = '$org'"
  bench_sql "SELECT id FROM products WHERE organization_id = '$org'" | while read -r p; do
    echo "$token" >>"$bench_work/i-tokens"
    echo /api/v1/inventory/issues >>"$bench_work/i-paths"
    echo "{\"warehouse_id\":\"$wh\",\"lines\":[{\"product_id\":\"$p\",\"quantity\":\"1\"}]}" >>"$bench_work/i-bodies"
  done
done
# Interleave the organizations (request n goes to organization n mod 4).
for f in i-tokens i-paths i-bodies; do
  python3 -c 'import sys; l=open(sys.argv[1]).read().splitlines(); n=len(l)//4; print("\n".join(l[o*n+k] for k in range(n) for o in range(4)))' \
    "$bench_work/$f" >"$bench_work/$f.x" && mv "$bench_work/$f.x" "$bench_work/$f"
done
bench_posts "$bench_work/issues.lua" "$bench_work/i-tokens" "$bench_work/i-paths" "$bench_work/i-bodies"

# Warm up, then measure the throughput (before the bulk seed below, whose
# writes and checkpoint would otherwise land in the middle of the loads).
bench_sql "SELECT '/pk/' || id FROM users" >"$bench_work/pk"
bench_sql "SELECT 'x' FROM users" >"$bench_work/pk-tokens"
bench_requests "$bench_work/pk.lua" "$bench_work/pk-tokens" "$bench_work/pk"
# Statistics for the seeded tables, as autovacuum would gather them (not for
# the still-empty journal: plans made for an empty table would be kept by
# the pooled sessions while it grows).
bench_sql "ANALYZE products; ANALYZE stock_levels" >/dev/null
DURATION=2 bench_wrk "$host/" "$bench_work/journal.lua" >/dev/null
DURATION=2 bench_wrk "$host/" "$bench_work/issues.lua" >/dev/null
DURATION=2 bench_wrk "$ceiling/" "$bench_work/pk.lua" >/dev/null
rows=$(
  bench_table_head
  bench_ceiling "ceiling \`GET /pk/{id}\` (bench/ceiling.rs: bare actix-web, one SeaORM primary-key select)" "$ceiling/" "$bench_work/pk.lua"
  bench_row "\`POST /api/v1/accounting/journal\` (two lines, posted; 6 organizations)" "$host/" "$bench_work/journal.lua"
  bench_row "\`POST /api/v1/inventory/issues\` (1 unit, posting to the ledger; 1,000 products x 4 organizations)" "$host/" "$bench_work/issues.lua"
)

# --- a million posted lines in one organization, over three years, seeded
# through SQL with the posting triggers off (session_replication_role), so
# the monthly balances are seeded the same way the trigger keeps them.
read -r big_token big_org < <(bench_org "Years of books")
ids() { bench_sql "SELECT string_agg('''' || id || '''', ',') FROM accounts WHERE organization_id = '$big_org' AND code IN ($1)"; }
debits=$(ids "'1020','1100','5010','6010','6020'")
credits=$(ids "'4010','1020','2010','1200','1010'")
entries=$((LINES / 2))
seed_started=$SECONDS
psql "$db_url" -q <<SQL
SET session_replication_role = replica;
INSERT INTO journal_entries (id, organization_id, number, entry_date, memo, state, total,
    created_at, updated_at, version, posted_at)
  SELECT gen_random_uuid(), '$big_org', 'JE-B' || lpad(g::text, 7, '0'),
    date '$today' - 1095 + (g % 1095), 'bench', 'posted', (g % 997 + 1) * 10000, now(), now(), 1, now()
  FROM generate_series(1, $entries) g;
INSERT INTO journal_lines (id, organization_id, entry_id, line_no, account_id, entry_date, debit, credit, description)
  SELECT gen_random_uuid(), e.organization_id, e.id, n,
    CASE WHEN n = 1 THEN (ARRAY[$debits]::uuid[])[1 + abs(hashtext(e.number)) % 5]
         ELSE (ARRAY[$credits]::uuid[])[1 + abs(hashtext(e.number || 'c')) % 5] END,
    e.entry_date, CASE WHEN n = 1 THEN e.total ELSE 0 END, CASE WHEN n = 2 THEN e.total ELSE 0 END, ''
  FROM journal_entries e, generate_series(1, 2) n WHERE e.organization_id = '$big_org';
INSERT INTO account_balances (organization_id, account_id, month, closing, shard, debit, credit)
  SELECT organization_id, account_id, date_trunc('month', entry_date)::date, false, 0, sum(debit), sum(credit)
  FROM journal_lines WHERE organization_id = '$big_org' GROUP BY 1, 2, 3;
SQL
# What autovacuum does to years-old rows: statistics, and the visibility map
# that lets the report scans read the indexes alone.
psql "$db_url" -qc "VACUUM (ANALYZE) journal_entries, journal_lines, account_balances"
seed_secs=$((SECONDS - seed_started))
big_lines=$(bench_sql "SELECT count(*) FROM journal_lines WHERE organization_id = '$big_org'")
bank=$(bench_sql "SELECT id FROM accounts WHERE organization_id = '$big_org' AND code = '1020'")
mid=$(date -u -d "$today - 540 days" +%F)
mid_to=$(date -u -d "$today - 480 days" +%F)
echo "$big_token" >"$bench_work/tb-tokens"; echo "/api/v1/accounting/reports/trial-balance" >"$bench_work/tb-paths"
echo "$big_token" >"$bench_work/l-tokens"; echo "/api/v1/accounting/ledger?account_id=$bank&from=$mid&to=$mid_to&limit=50" >"$bench_work/l-paths"
bench_requests "$bench_work/tb.lua" "$bench_work/tb-tokens" "$bench_work/tb-paths"
bench_requests "$bench_work/ledger.lua" "$bench_work/l-tokens" "$bench_work/l-paths"
tb_total=$(curl -fsS "$base/accounting/reports/trial-balance" -H "authorization: Bearer $big_token" |
  python3 -c 'import json,sys; r=json.load(sys.stdin); print(r["total_debit"], r["total_credit"], len(r["accounts"]))')
ledger_rows=$(curl -fsS "$host/api/v1/accounting/ledger?account_id=$bank&from=$mid&to=$mid_to&limit=50" \
  -H "authorization: Bearer $big_token" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["lines"]))')

latency=$(
  bench_table_head
  CONNECTIONS=2 bench_row "\`GET /accounting/reports/trial-balance\` ($big_lines posted lines), 2 connections" "$host/" "$bench_work/tb.lua"
  CONNECTIONS=2 bench_row "\`GET /accounting/ledger\` (a 50-line page, bank account, mid-range), 2 connections" "$host/" "$bench_work/ledger.lua"
)

# The issues' postings, checked in the database.
checks=""
for org in "${issue_orgs[@]}"; do
  checks+=$(bench_sql "SELECT
      (SELECT count(*) FROM stock_movements WHERE organization_id = '$org' AND kind = 'issue') || ' ' ||
      (SELECT count(*) FROM journal_entries WHERE organization_id = '$org' AND source_type = 'stock_issue' AND state = 'posted') || ' ' ||
      (SELECT coalesce(-sum(value), 0) FROM stock_movements WHERE organization_id = '$org' AND kind = 'issue') || ' ' ||
      (SELECT coalesce(sum(b.debit - b.credit), 0) FROM account_balances b JOIN accounts a ON a.id = b.account_id
         WHERE b.organization_id = '$org' AND a.code = '5010')")
  checks+=$'\n'
done
consistent=$(echo "$checks" | awk 'NF==4 && ($1!=$2 || $3!=$4) {bad++} END {print bad+0}')
issued=$(echo "$checks" | awk '{s+=$1} END {print s+0}')

field() { echo "$rows" | awk -F'|' -v pat="$1" -v col="$2" 'index($0, pat) {gsub(/^ +| +$/, "", $col); print $col}'; }
lfield() { echo "$latency" | awk -F'|' -v pat="$1" -v col="$2" 'index($0, pat) {gsub(/^ +| +$/, "", $col); print $col}'; }
ms() { python3 -c "v='$1'; print(float(v[:-2]) if v.endswith('ms') else float(v[:-2])/1000 if v.endswith('us') else float(v[:-1])*1000)"; }
verdict() { python3 -c "print('met' if $1 else 'NOT met')"; }
j_rps=$(field "accounting/journal" 3); j_err=$(field "accounting/journal" 6)
i_rps=$(field "inventory/issues" 3); i_err=$(field "inventory/issues" 6)
tb_p99=$(lfield "trial-balance" 5); l_p99=$(lfield "ledger" 5)
bench_section accounting "$(cat <<MD
## Accounting: postings, postings from stock issues, reports over a million lines

\`DURATION=$DURATION CONNECTIONS=$CONNECTIONS THREADS=$THREADS bash bench/accounting.sh\` on $(date -u +%Y-%m-%d),
$(nproc) cores; PostgreSQL + Redis on this machine, Mainstay in production settings; TLS to
PostgreSQL (sqlx's default \`sslmode=prefer\`); \`wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s\` for the
throughput rows, 2 connections for the report latencies.

$rows

Reports over one organization holding $big_lines posted journal lines dated over three years
(seeded through SQL in ${seed_secs}s with the triggers off, monthly balances seeded as the posting
trigger keeps them, then \`VACUUM (ANALYZE)\` as autovacuum would have run on rows that old): trial balance as of today (totals \`$tb_total\`: debit, credit, accounts);
ledger page of $ledger_rows lines from $mid to $mid_to.

$latency

After the issue load: $issued issue movements; per organization (movements, posted \`stock_issue\`
entries, value the movements took, cost of goods sold balance in units of 1/10000):

\`\`\`
$checks\`\`\`

| target | figure | verdict |
|---|---|---|
| \`POST /accounting/journal\` (two lines, posted) at least 2,000 req/s, zero errors | $j_rps (errors: $j_err) | $(verdict "$j_rps >= 2000 and '$j_err' == 'none'") |
| inventory issues, now posting, at least 1,500 req/s, zero errors | $i_rps (errors: $i_err) | $(verdict "$i_rps >= 1500 and '$i_err' == 'none'") |
| one posting per issue, cost of goods sold = value taken | $consistent organizations differ | $(verdict "$consistent == 0") |
| trial balance over $big_lines lines: p99 at most 100 ms | $tb_p99 | $(verdict "$(ms "$tb_p99") <= 100") |
| a ledger page: p99 at most 20 ms | $l_p99 | $(verdict "$(ms "$l_p99") <= 20") |
MD
)"
sed -n '/<!-- accounting:start -->/,/<!-- accounting:end -->/p' bench/RESULTS.md
