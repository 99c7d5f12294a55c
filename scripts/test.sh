#!/usr/bin/env bash
# The one command that runs every test on a fresh machine (`deno task test`):
# installs Deno, PostgreSQL with pg_cron and pgTAP, the Supabase CLI and Chromium (for the status page) where
# missing, starts a test cluster, migrates it with the CLI, then runs the Deno
# tests and the pgTAP tests. Arguments are passed to `deno test` (a filter).
set -euo pipefail
cd "$(dirname "$0")/.."
export DENO_NO_UPDATE_CHECK=1
passed=0
failed=0
finished=""
# Whatever stops the run (a step failing under `set -e` included) ends with the
# `total:` line and a non-zero exit; the test cluster is stopped.
on_exit() {
  local rc=$?
  deno run -A scripts/testing/prepare.ts stop >/dev/null 2>&1 || true
  if [ -z "$finished" ]; then
    [ "$failed" -gt 0 ] || failed=1
    [ "$rc" -ne 0 ] || rc=1
    echo "total: $passed passed, $failed failed"
  fi
  exit "$rc"
}
trap on_exit EXIT
WITH_CHROMIUM=1 bash scripts/install.sh
bash scripts/install_writers.sh
# No test runs without its database: prepare.ts has printed why on stderr.
if ! exports=$(deno run -A scripts/testing/prepare.ts); then
  echo "the test cluster could not start: no test was run" >&2
  exit 1
fi
eval "$exports"
out=$(mktemp)

set +e
deno test -A --quiet "$@" 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
set -e
passed=$(sed 's/\x1b\[[0-9;]*m//g' "$out" | grep -oE '\| [0-9]+ passed' | tail -n 1 | grep -oE '[0-9]+' || echo 0)
failed=$(sed 's/\x1b\[[0-9;]*m//g' "$out" | grep -oE '\| [0-9]+ failed' | tail -n 1 | grep -oE '[0-9]+' || echo 0)
# deno test failing without a count (a type error: no test ran) is a failure all the same.
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then failed=1; fi

if [ $# -eq 0 ]; then
  db="t_pgtap_$$"
  psql "$PASSERELLE_TEST_PG/postgres" -qX -c "create database $db template passerelle_template"
  psql "$PASSERELLE_TEST_PG/$db" -qX -v ON_ERROR_STOP=1 -f supabase/tests/_setup/helpers.sql >/dev/null
  set +e
  find supabase/tests -name '*.test.sql' | sort |
    xargs pg_prove -d "$db" -h 127.0.0.1 -p "${PASSERELLE_TEST_PG##*:}" -U postgres 2>&1 | tee "$out"
  pgtap_status=${PIPESTATUS[2]}
  set -e
  psql "$PASSERELLE_TEST_PG/postgres" -qX -c "drop database $db with (force)"
  tests=$(grep -oE 'Tests=[0-9]+' "$out" | grep -oE '[0-9]+' || echo 0)
  if [ "$pgtap_status" = 0 ]; then
    passed=$((passed + tests))
  else
    status=1
    bad=$(grep -oE 'Failed [0-9]+/' "$out" | grep -oE '[0-9]+' | awk '{ s += $1 } END { print s + 0 }')
    [ "$bad" -gt 0 ] || bad=1
    failed=$((failed + bad))
    passed=$((passed + tests - bad))
  fi
fi
rm -f "$out"
# One closing line for both runners (Deno tests and pgTAP assertions).
finished=1
echo "total: $passed passed, $failed failed"
exit $status
