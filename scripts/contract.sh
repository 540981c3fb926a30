#!/usr/bin/env bash
# The frontend's contract (clients/typescript): lints the running server's
# OpenAPI document with Spectral (spectral:oas, warnings fail) and Redocly
# (recommended, errors fail), generates types with openapi-typescript (a
# documented header typed `unknown` fails), compiles the strict TypeScript
# flow and runs it against the server. npm packages are installed from the
# lock file when missing.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
client="$root/clients/typescript"

command -v npm >/dev/null || { echo "contract: npm (Node.js 18+) is required" >&2; exit 1; }
if [ ! -x "$client/node_modules/.bin/tsc" ]; then
  (cd "$client" && npm ci --no-audit --no-fund --loglevel=error)
fi
# shellcheck source=scripts/lib/test-server.sh
source scripts/lib/test-server.sh

cd "$client"
mkdir -p build
curl -fsS "$base/api-docs/openapi.json" -o build/openapi.json

echo "--> spectral lint (spectral:oas; any warning fails)"
npx --no-install spectral lint --fail-severity=warn --ruleset .spectral.yaml build/openapi.json

echo "--> redocly lint (recommended; any error fails)"
npx --no-install redocly lint --config redocly.yaml build/openapi.json

echo "--> openapi-typescript"
npx --no-install openapi-typescript build/openapi.json -o src/schema.d.ts
# A documented header must be typed; only the index signature of
# undocumented ones may be `unknown`.
if grep -nE '^\s+"?[A-Za-z][A-Za-z0-9_-]*"?\??: unknown;' src/schema.d.ts; then
  echo "contract: the generated types have a header or field typed unknown (above)" >&2
  exit 1
fi

echo "--> tsc --strict"
npx --no-install tsc -p tsconfig.json

echo "--> the flow against $base"
MAINSTAY_URL="$base" node build/flow.js || {
  echo "contract: the flow failed; server log:" >&2; tail -n 50 "$work/server.log" >&2; exit 1; }
