#!/usr/bin/env bash
# Installs what Passerelle needs on a fresh Debian machine: Deno (from npm),
# PostgreSQL with pg_cron, pgTAP and plpgsql_check (from apt), the Supabase
# CLI (from npm). Idempotent: what is there already is kept.
set -euo pipefail

log() { printf '\033[36m[install]\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# PostgreSQL: the newest major for which apt has the server and pg_cron
# (15 on Debian 12, 17 on Debian 13; hosted Supabase runs both).
pg_major_installed() {
  for m in 18 17 16 15; do
    if [ -x "/usr/lib/postgresql/$m/bin/postgres" ] && [ -f "/usr/share/postgresql/$m/extension/pg_cron.control" ] &&
      [ -f "/usr/share/postgresql/$m/extension/pgtap.control" ] && command -v pg_prove >/dev/null; then
      echo "$m"; return 0
    fi
  done
  return 1
}

apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then
    log "apt-get update"
    as_root apt-get update -qq
    apt_updated=1
  fi
  log "apt-get install $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

if ! major=$(pg_major_installed); then
  if ! command -v apt-get >/dev/null; then
    echo "PostgreSQL with pg_cron and pgTAP is missing and there is no apt-get: install postgresql-<major>," \
      "postgresql-<major>-cron, postgresql-<major>-pgtap and libtap-parser-sourcehandler-pgtap-perl" >&2
    exit 1
  fi
  as_root apt-get update -qq; apt_updated=1
  major=""
  for m in 18 17 16 15; do
    if apt-cache show "postgresql-$m-cron" >/dev/null 2>&1 && apt-cache show "postgresql-$m" >/dev/null 2>&1; then
      major=$m; break
    fi
  done
  if [ -z "$major" ]; then
    echo "apt offers no postgresql-<major>-cron: cannot install PostgreSQL with pg_cron" >&2
    exit 1
  fi
  apt_install "postgresql-$major" "postgresql-$major-cron" "postgresql-$major-pgtap" \
    libtap-parser-sourcehandler-pgtap-perl
  apt-cache show "postgresql-$major-plpgsql-check" >/dev/null 2>&1 &&
    apt_install "postgresql-$major-plpgsql-check" || true
fi
log "PostgreSQL $major with pg_cron and pgTAP"

if ! command -v deno >/dev/null; then
  log "npm install -g deno (the package ships the binary)"
  npm install -g --allow-scripts=deno deno@2.9.6 >/dev/null 2>&1 || npm install -g deno@2.9.6 >/dev/null
fi
log "$(deno --version | head -n 1)"

if ! command -v supabase >/dev/null; then
  log "npm install -g supabase (CLI 3.x)"
  npm install -g supabase@3.1.0 >/dev/null
fi
log "Supabase CLI $(supabase --version)"

if [ "${WITH_CHROMIUM:-0}" = 1 ] && ! command -v chromium >/dev/null; then
  apt_install chromium
fi
