#!/usr/bin/env bash
# `deno task bench [name] [--json]`: installs what is missing, starts a cluster
# of its own (port 54339) migrated like the tests', runs the benchmarks.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh >&2
export PASSERELLE_TEST_PG_PORT="${PASSERELLE_BENCH_PG_PORT:-54339}"
export PASSERELLE_TEST_STACK_DIR="${PASSERELLE_BENCH_STACK_DIR:-/var/tmp/passerelle-bench-$(pwd | sha256sum | cut -c1-10)}"
eval "$(deno run -A scripts/testing/prepare.ts 2>/dev/null)"
trap 'deno run -A scripts/testing/prepare.ts stop >/dev/null 2>&1 || true' EXIT
deno run -A scripts/bench.ts "$@"
