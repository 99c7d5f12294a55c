#!/usr/bin/env bash
# The one command that runs every test on a fresh machine (`deno task test`):
# installs Deno, PostgreSQL with pg_cron and pgTAP, the Supabase CLI and Chromium (for the status page) where
# missing, starts a test cluster, migrates it with the CLI, then runs the Deno
# tests and the pgTAP tests. Arguments are passed to `deno test` (a filter).
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_CHROMIUM=1 bash scripts/install.sh
export DENO_NO_UPDATE_CHECK=1
eval "$(deno run -A scripts/testing/prepare.ts)"
trap 'deno run -A scripts/testing/prepare.ts stop >/dev/null 2>&1 || true' EXIT

status=0
deno test -A --quiet "$@" || status=$?

if [ $# -eq 0 ]; then
  db="t_pgtap_$$"
  psql "$PASSERELLE_TEST_PG/postgres" -qX -c "create database $db template passerelle_template"
  psql "$PASSERELLE_TEST_PG/$db" -qX -v ON_ERROR_STOP=1 -f supabase/tests/_setup/helpers.sql >/dev/null
  find supabase/tests -name '*.test.sql' | sort |
    xargs pg_prove -d "$db" -h 127.0.0.1 -p "${PASSERELLE_TEST_PG##*:}" -U postgres || status=$?
  psql "$PASSERELLE_TEST_PG/postgres" -qX -c "drop database $db with (force)"
fi
exit $status
