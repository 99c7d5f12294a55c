#!/usr/bin/env bash
# Regenerates functions-shared/database.types.ts from the migrated schema with
# the Supabase CLI (`supabase gen types typescript --remote=<url>`), formatted.
# Usage: bash scripts/gen_types.sh [database url]   (default: the test template)
set -euo pipefail
cd "$(dirname "$0")/.."
url="${1:-}"
if [ -z "$url" ]; then
  # The test cluster it starts is stopped again at the end.
  trap 'deno run -A scripts/testing/prepare.ts stop >/dev/null 2>&1 || true' EXIT
  eval "$(deno run -A scripts/testing/prepare.ts 2>/dev/null)"
  url="$PASSERELLE_TEST_PG/passerelle_template"
fi
# The CLI prints connection notices on stdout before the types: keep the types only.
supabase gen types typescript --remote="$url" --schema public 2>/dev/null |
  awk '/^export type Json/ { on = 1 } on' > functions-shared/database.types.ts
deno fmt -q functions-shared/database.types.ts
echo "functions-shared/database.types.ts regenerated from $url" >&2
