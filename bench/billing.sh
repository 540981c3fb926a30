#!/usr/bin/env bash
# Billing on PostgreSQL + Redis (production settings), through the shared
# harness (bench/lib.sh), beside the ceiling measured in the same run:
#   - POST /api/v1/invoices with five product lines (20% tax on each) and
#     "issue": true (priced, numbered and posted to the ledger in the
#     request), rotating over ORGS (6) Enterprise organizations, each with
#     200 service products (SQL), a tax rate and 4 customers (API);
#   - POST /api/v1/payments with one allocation of 10.00, each request to a
#     distinct invoice the load above issued through the API (in creation
#     order across the organizations; an invoice takes one payment);
#   - GET /api/v1/billing/reports/ar-aging over one organization holding
#     INVOICES (100,000) invoices over three years for 200 customers (seeded
#     through SQL: statuses and settlements by age, allocations of the
#     partially paid ones), at 4 connections: the p99 is the target.
# Afterwards the database must show the receivable account of every
# organization equal to its open invoice balances less unallocated credit.
# Writes the `billing` section of bench/RESULTS.md.
#
#   bash bench/billing.sh      # DURATION=8 CONNECTIONS=64 THREADS=1 ORGS=6 INVOICES=100000
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=bench/lib.sh
source bench/lib.sh
bench_init
BENCH_ENV=${BENCH_ENV:-MAINSTAY__REDIS__LIST_CACHE=false}
bench_stack
host=${base%/api/v1}
ORGS=${ORGS:-6}
INVOICES=${INVOICES:-100000}

# --- write side: ORGS organizations with products, a tax rate, customers.
seed_started=$SECONDS
write_orgs=()
for i in $(seq 1 "$ORGS"); do
  read -r token org < <(bench_org "Billing $i")
  write_orgs+=("$org")
  echo "$token" >"$bench_work/t-$org"
  auth=(-H "authorization: Bearer $token" -H 'content-type: application/json')
  bench_sql "INSERT INTO products (id, organization_id, sku, name, description, kind, uom, sale_price,
      standard_cost, reorder_point, reorder_quantity, active, created_at, updated_at, version)
    SELECT gen_random_uuid(), '$org', 'SVC-' || lpad(g::text, 4, '0'), 'Service ' || g, '', 'service', 'hour',
      (10 + g % 90) * 10000 + (g % 4) * 2500, 0, 0, 0, true, now(), now(), 1
    FROM generate_series(1, 200) g"
  bench_sql "SELECT id FROM products WHERE organization_id = '$org' ORDER BY sku" >"$bench_work/p-$org"
  vat_account=$(bench_sql "SELECT id FROM accounts WHERE organization_id = '$org' AND code = '2100'")
  vat=$(curl -fsS -X POST "$base/accounting/tax-rates" "${auth[@]}" \
    -d "{\"name\":\"VAT 20%\",\"rate\":\"20\",\"account_id\":\"$vat_account\"}" | json_id)
  customers=()
  for c in 1 2 3 4; do
    customers+=("$(curl -fsS -X POST "$base/customers" "${auth[@]}" \
      -d "{\"name\":\"Customer $i-$c\",\"currency\":\"GBP\",\"payment_terms_days\":30}" | json_id)")
  done
  python3 - "$bench_work/p-$org" "$vat" "${customers[*]}" >"$bench_work/b-$org" <<'PY'
import json, sys
ids, vat, customers = open(sys.argv[1]).read().split(), sys.argv[2], sys.argv[3].split()
for k in range(len(ids) // 5):
    print(json.dumps({"customer_id": customers[k % len(customers)], "issue": True,
        "lines": [{"product_id": ids[5 * k + j], "quantity": str(1 + (k + j) % 4), "tax_rate_id": vat}
                  for j in range(5)]}, separators=(",", ":")))
PY
done
python3 - "$bench_work" "${write_orgs[@]}" <<'PY'
import sys
work, orgs = sys.argv[1], sys.argv[2:]
bodies = {o: open(f"{work}/b-{o}").read().splitlines() for o in orgs}
tokens = {o: open(f"{work}/t-{o}").read().strip() for o in orgs}
n = min(len(b) for b in bodies.values())
with open(f"{work}/i-tokens", "w") as t, open(f"{work}/i-paths", "w") as p, open(f"{work}/i-bodies", "w") as b:
    for k in range(n):
        for o in orgs:
            t.write(tokens[o] + "\n"); p.write("/api/v1/invoices\n"); b.write(bodies[o][k] + "\n")
PY
bench_posts "$bench_work/invoice.lua" "$bench_work/i-tokens" "$bench_work/i-paths" "$bench_work/i-bodies"
orgs_sql=$(printf "'%s'," "${write_orgs[@]}"); orgs_sql=${orgs_sql%,}
bench_sql "ANALYZE products; ANALYZE customers; ANALYZE tax_rates" >/dev/null
seed_secs=$((SECONDS - seed_started))

# One invoice per organization through curl first: the load must answer 201.
for o in "${write_orgs[@]}"; do
  curl -fsS -X POST "$base/invoices" -H "authorization: Bearer $(cat "$bench_work/t-$o")" \
    -H 'content-type: application/json' -d "$(head -1 "$bench_work/b-$o")" |
    python3 -c 'import json,sys; d=json.load(sys.stdin); assert d["status"] == "issued" and len(d["lines"]) == 5 and d["journal_entry_id"], d'
done

bench_sql "SELECT '/pk/' || id FROM users" >"$bench_work/pk"
bench_sql "SELECT 'x' FROM users" >"$bench_work/pk-tokens"
bench_requests "$bench_work/pk.lua" "$bench_work/pk-tokens" "$bench_work/pk"
DURATION=2 bench_wrk "$ceiling/" "$bench_work/pk.lua" >/dev/null
DURATION=2 bench_wrk "$host/" "$bench_work/invoice.lua" >/dev/null
ceiling_row=$(bench_ceiling "ceiling \`GET /pk/{id}\` (bench/ceiling.rs: bare actix-web, one SeaORM primary-key select)" "$ceiling/" "$bench_work/pk.lua")
bench_ceiling_rps=$(col "$ceiling_row" 3)
invoice_row=$(bench_row "\`POST /api/v1/invoices\` (five product lines with tax, \`\"issue\": true\`; $ORGS organizations)" "$host/" "$bench_work/invoice.lua")

# --- payments: one allocation of 10.00 each, to a distinct issued invoice.
bench_sql "ANALYZE invoices; ANALYZE invoice_lines; ANALYZE journal_entries; ANALYZE journal_lines" >/dev/null
bench_sql "SELECT organization_id, customer_id, id FROM invoices
  WHERE organization_id IN ($orgs_sql) AND kind = 'invoice' AND status = 'issued' ORDER BY id" >"$bench_work/pay-rows"
python3 - "$bench_work" <<'PY'
import json, sys
work = sys.argv[1]
tokens = {}
rows = open(f"{work}/pay-rows").read().splitlines()
warm = min(3000, len(rows) // 4)
# A second round over the same invoices (each is far above 10.00) after the
# first, so the load never runs out; consecutive rows stay on distinct invoices.
rows = rows + rows[warm:]
with open(f"{work}/pay-warm.tsv", "w") as w, open(f"{work}/pay-main.tsv", "w") as m:
    for n, line in enumerate(rows):
        org, customer, invoice = line.split("|")
        if org not in tokens:
            tokens[org] = open(f"{work}/t-{org}").read().strip()
        body = json.dumps({"customer_id": customer, "amount": "10.00", "method": "bank_transfer",
            "reference": f"Wire {n}", "allocations": [{"invoice_id": invoice, "amount": "10.00"}]},
            separators=(",", ":"))
        (w if n < warm else m).write(f"{tokens[org]}\t/api/v1/payments\t{body}\n")
PY
pay_rows=$(wc -l <"$bench_work/pay-main.tsv")
bench_once_lua "$bench_work/pay-warm.lua" "$bench_work/pay-warm.tsv"
bench_once_lua "$bench_work/pay.lua" "$bench_work/pay-main.tsv"
DURATION=2 bench_wrk "$host/" "$bench_work/pay-warm.lua" >/dev/null
pay_row=$(bench_row "\`POST /api/v1/payments\` (one allocation of 10.00 to a distinct issued invoice; $ORGS organizations)" "$host/" "$bench_work/pay.lua")
pay_total=$(awk '/requests in/ {print $1}' "$bench_work/wrk.txt")
pay_first=$(wc -l <"$bench_work/pay-rows")
pay_distinct=$(python3 -c "print('yes' if $pay_total + $CONNECTIONS <= $pay_first else 'no, the second round was reached')")

# The ledger, checked in the database: receivable = open balances - credit.
ar_bad=$(bench_sql "SELECT count(*) FROM (
    SELECT s.organization_id, coalesce(sum(jl.debit - jl.credit), 0) AS ledger
    FROM accounting_settings s LEFT JOIN journal_lines jl ON jl.account_id = s.receivable_account_id
    WHERE s.organization_id IN ($orgs_sql) GROUP BY s.organization_id) l
  JOIN (SELECT o.organization_id,
      coalesce((SELECT sum(total - settled_amount) FROM invoices i WHERE i.organization_id = o.organization_id
        AND i.kind = 'invoice' AND i.status IN ('issued', 'partially_paid')), 0)
      - coalesce((SELECT sum(amount - allocated_amount - refunded_amount) FROM payments p
        WHERE p.organization_id = o.organization_id AND p.kind = 'received' AND p.status = 'posted'), 0) AS docs
    FROM (SELECT unnest(ARRAY[$orgs_sql]::uuid[]) AS organization_id) o) d USING (organization_id)
  WHERE l.ledger <> d.docs" 2>&1 || echo "query failed")
invoices_made=$(bench_sql "SELECT count(*) FROM invoices WHERE organization_id IN ($orgs_sql)")
payments_made=$(bench_sql "SELECT count(*) FROM payments WHERE organization_id IN ($orgs_sql)")

# --- AR aging over INVOICES invoices in one organization, seeded through SQL.
aging_started=$SECONDS
read -r atoken aorg < <(bench_org "Receivables book")
aauth=(-H "authorization: Bearer $atoken" -H 'content-type: application/json')
for c in $(seq 1 200); do
  curl -fsS -o /dev/null -X POST "$base/customers" "${aauth[@]}" -d "{\"name\":\"Account $c\",\"currency\":\"GBP\"}"
done
owner=$(bench_sql "SELECT id FROM users WHERE lower(email) = 'receivables-book-$$@example.com'")
cust_array=$(bench_sql "SELECT string_agg(quote_literal(id::text), ',') FROM customers WHERE organization_id = '$aorg'")
psql "$db_url" -q -v ON_ERROR_STOP=1 <<SQL
SET TIME ZONE 'UTC';
CREATE TEMP TABLE d AS
  SELECT g, ts, ts::date AS issue_date, ts::date + 30 AS due_date,
    (lpad(to_hex((extract(epoch FROM ts) * 1000)::bigint), 12, '0')
      || '7' || substr(md5(g::text), 1, 3) || '8' || substr(md5(g::text), 4, 15))::uuid AS id,
    (ARRAY[$cust_array]::uuid[])[1 + abs(hashtext('c' || g)) % 200] AS customer_id,
    (100 + abs(hashtext('t' || g)) % 5000) * 10000 AS total,
    CASE WHEN age < 45 THEN CASE WHEN r < 60 THEN 'issued' WHEN r < 80 THEN 'partially_paid' ELSE 'paid' END
         WHEN age < 120 THEN CASE WHEN r < 10 THEN 'issued' WHEN r < 15 THEN 'partially_paid' ELSE 'paid' END
         ELSE CASE WHEN r < 1 THEN 'issued' WHEN r < 2 THEN 'void' ELSE 'paid' END END AS status
  FROM (SELECT g, ts, extract(epoch FROM now() - ts) / 86400 AS age, abs(hashtext('s' || g)) % 100 AS r
    FROM (SELECT g, now() - make_interval(secs => ($INVOICES - g) * (94608000.0 / $INVOICES)) AS ts
      FROM generate_series(1, $INVOICES) g) a) b;
INSERT INTO invoices (id, organization_id, kind, number, customer_id, supplier_id, sales_order_id,
    purchase_order_id, supplier_reference, status, issue_date, due_date, currency, notes, subtotal, discount_total,
    tax_total, total, settled_amount, credited_amount, line_count, journal_entry_id, issued_at, paid_at, settled_on,
    voided_at, voided_on, created_by, created_at, updated_at, version)
  SELECT id, '$aorg', 'invoice', 'INV-' || lpad(g::text, 6, '0'), customer_id, NULL, NULL, NULL, '', status,
    issue_date, due_date, 'GBP', '', total, 0, 0, total,
    CASE status WHEN 'paid' THEN total WHEN 'partially_paid' THEN total / 2 ELSE 0 END, 0, 1, NULL, ts,
    CASE WHEN status = 'paid' THEN ts + interval '20 days' END,
    CASE WHEN status IN ('paid', 'partially_paid') THEN least(issue_date + 20, current_date) END,
    CASE WHEN status = 'void' THEN ts + interval '1 day' END, CASE WHEN status = 'void' THEN issue_date + 1 END,
    '$owner', ts, ts, 2
  FROM d ORDER BY g;
INSERT INTO payments (id, organization_id, kind, number, customer_id, supplier_id, payment_date, currency, amount,
    allocated_amount, refunded_amount, method, reference, notes, status, journal_entry_id, deleted_at, created_by,
    created_at, updated_at, version)
  SELECT id, '$aorg', 'received', 'PAY-' || lpad(g::text, 6, '0'), customer_id, NULL,
    least(issue_date + 20, current_date), 'GBP',
    CASE status WHEN 'paid' THEN total ELSE total / 2 END, CASE status WHEN 'paid' THEN total ELSE total / 2 END, 0,
    'bank_transfer', '', '', 'posted', NULL, NULL, '$owner', ts + interval '20 days', ts + interval '20 days', 1
  FROM d WHERE status IN ('paid', 'partially_paid') ORDER BY g;
INSERT INTO allocations (id, organization_id, payment_id, credit_note_id, invoice_id, amount, allocated_on,
    created_by, created_at)
  SELECT gen_random_uuid(), '$aorg', id, NULL, id, CASE status WHEN 'paid' THEN total ELSE total / 2 END,
    least(issue_date + 20, current_date), '$owner', least(ts + interval '20 days', now())
  FROM d WHERE status IN ('paid', 'partially_paid') ORDER BY g;
INSERT INTO document_sequences (organization_id, series, last_value, updated_at) VALUES ('$aorg', 'INV', $INVOICES, now());
SQL
psql "$db_url" -qc "VACUUM (ANALYZE) invoices, payments, allocations"
aging_secs=$((SECONDS - aging_started))
book=$(bench_sql "SELECT count(*) FROM invoices WHERE organization_id = '$aorg'")
mix=$(bench_sql "SELECT string_agg(status || ' ' || n, ', ' ORDER BY n DESC) FROM (SELECT status, count(*) AS n
  FROM invoices WHERE organization_id = '$aorg' GROUP BY 1) s")
open_sum=$(bench_sql "SELECT sum(total - settled_amount) FROM invoices WHERE organization_id = '$aorg'
  AND status IN ('issued', 'partially_paid')")
# The report must answer what the table holds before it is measured.
curl -fsS "$base/billing/reports/ar-aging" -H "authorization: Bearer $atoken" | python3 -c '
import json, sys
from decimal import Decimal
r = json.load(sys.stdin)
total = sum(Decimal(t["total"]) for t in r["totals"])
assert len(r["rows"]) == 200 and total * 10000 == Decimal(sys.argv[1]), (len(r["rows"]), total, sys.argv[1])' "$open_sum"
: >"$bench_work/a-tokens"; : >"$bench_work/a-paths"
for d in 0 30 90 365; do
  echo "$atoken" >>"$bench_work/a-tokens"
  echo "/api/v1/billing/reports/ar-aging?as_of=$(date -u -d "-$d days" +%F)" >>"$bench_work/a-paths"
done
bench_requests "$bench_work/aging.lua" "$bench_work/a-tokens" "$bench_work/a-paths"
CONNECTIONS=4 DURATION=2 bench_wrk "$host/" "$bench_work/aging.lua" >/dev/null
aging_row1=$(CONNECTIONS=1 bench_row "\`GET /api/v1/billing/reports/ar-aging\` ($book invoices; as_of today, -30, -90, -365 days; 1 connection)" "$host/" "$bench_work/aging.lua")
aging_row=$(CONNECTIONS=4 bench_row "\`GET /api/v1/billing/reports/ar-aging\` (the same; 4 connections)" "$host/" "$bench_work/aging.lua")

bench_section billing "$(cat <<MD
## Billing: invoices issued, payments allocated, AR aging over $book invoices

\`DURATION=$DURATION CONNECTIONS=$CONNECTIONS THREADS=$THREADS ORGS=$ORGS INVOICES=$INVOICES bash bench/billing.sh\`
on $(date -u +%Y-%m-%d), $(nproc) cores; PostgreSQL + Redis on this machine, Mainstay in production
settings with \`${BENCH_ENV}\`; \`wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s\` (the aging load: 1 and 4 connections).

Write side: $ORGS Enterprise organizations, each with 200 service products (SQL), a 20% tax rate and
4 customers (API); ${seed_secs}s to seed. The invoice load rotates over $((ORGS * 40)) bodies of five
product lines with tax and \`"issue": true\`, interleaved by organization. The payment load pays 10.00
of an issued invoice a request, in creation order over the invoices the invoice load made (and a second
round after the first: $pay_rows rows; $pay_total requests answered; every request on an invoice no earlier
request paid: $pay_distinct). Afterwards: $invoices_made invoices and $payments_made payments in
the $ORGS organizations, and organizations whose receivable account differs from their open invoice
balances less unallocated credit: **$ar_bad**.

Aging: one organization with $book invoices over three years for 200 customers (${aging_secs}s to seed
through SQL, ids UUIDv7-shaped in creation order; $mix; partially paid and paid ones with their payments
and allocations), four \`as_of\` days in rotation, each answer exact as of its day.

$(bench_table_head)
$ceiling_row
$invoice_row
$pay_row
$aging_row1
$aging_row

Targets (issue 16): \`POST /invoices\` (five lines, issued) at least 1,000 req/s with zero errors;
\`POST /payments\` with one allocation at least 1,000 req/s; AR aging over 100,000 invoices p99 at most
200 ms.
MD
)"
echo "billing section written to bench/RESULTS.md" >&2
