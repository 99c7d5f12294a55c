#!/usr/bin/env bash
# `deno task demo` on a fresh machine: installs what is missing, then runs the demo.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
exec deno run -A scripts/demo.ts "$@"
