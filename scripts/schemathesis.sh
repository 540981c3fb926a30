#!/usr/bin/env bash
# Property-based API test: schemathesis generates inputs from the running
# server's OpenAPI document and checks that nothing answers 5xx and that
# every response matches its documented status, content type and schema.
# Runs the release binary on a fresh SQLite file with a valid owner token.
set -euo pipefail
cd "$(dirname "$0")/.."

MAX_EXAMPLES=${MAX_EXAMPLES:-25}
command -v schemathesis >/dev/null || pip install --quiet schemathesis
# shellcheck source=scripts/lib/test-server.sh
source scripts/lib/test-server.sh

onboard=$(curl -fsS -X POST "$base/api/v1/organizations/onboard" -H 'content-type: application/json' \
  -d '{"organization_name":"Schemathesis","email":"st@example.com","password":"tangerine-orbit-42","full_name":"Fuzz Owner"}')
token=$(echo "$onboard" | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])')
org=$(echo "$onboard" | python3 -c 'import json,sys; print(json.load(sys.stdin)["organization"]["id"])')
# Enterprise: the per-organization request budget must not be what is measured.
curl -fsS -X POST "$base/api/v1/organizations/$org/subscription" -H "authorization: Bearer $token" \
  -H 'content-type: application/json' -d '{"plan":"enterprise"}' >/dev/null

# Logging out or ending sessions would end the token every later request uses.
schemathesis run "$base/api-docs/openapi.json" \
  --header "Authorization: Bearer $token" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --exclude-path /api/v1/auth/logout \
  --exclude-path-regex '^/api/v1/auth/sessions/' \
  --max-examples "$MAX_EXAMPLES" \
  --generation-deterministic \
  --request-timeout 10 \
  --suppress-health-check all \
  --no-color || { echo "schemathesis: failures above; server log:" >&2; tail -n 50 "$work/server.log" >&2; exit 1; }
