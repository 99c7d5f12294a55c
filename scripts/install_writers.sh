#!/usr/bin/env bash
# Installs the spreadsheet programs the import tests write their workbooks with (`scripts/test.sh` runs
# this once, before the tests; no test installs anything): LibreOffice Calc without its GUI (soffice,
# XLSX and ODS), Gnumeric (ssconvert), openpyxl and XlsxWriter from apt, ExcelJS and SheetJS from npm
# into scripts/testing/writers/node_modules (test-only, pinned by its package-lock.json). Idempotent:
# what is there already is kept. Measured on Debian 12: the apt part took 35 s, the npm part 22 s.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { printf '\033[36m[install]\033[0m %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

missing=()
command -v soffice >/dev/null || missing+=(libreoffice-calc-nogui)
command -v ssconvert >/dev/null || missing+=(gnumeric)
/usr/bin/python3 -c 'import openpyxl' 2>/dev/null || missing+=(python3-openpyxl)
/usr/bin/python3 -c 'import xlsxwriter' 2>/dev/null || missing+=(python3-xlsxwriter)
if [ ${#missing[@]} -gt 0 ]; then
  if ! command -v apt-get >/dev/null; then
    echo "the test writers are missing (${missing[*]}) and there is no apt-get to install them" >&2
    exit 1
  fi
  log "apt-get install ${missing[*]} (the tests' spreadsheet writers)"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
if [ ! -d scripts/testing/writers/node_modules/exceljs ] || [ ! -d scripts/testing/writers/node_modules/xlsx ]; then
  log "npm ci in scripts/testing/writers (ExcelJS, SheetJS)"
  (cd scripts/testing/writers && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
fi
log "test writers: LibreOffice, Gnumeric, openpyxl, XlsxWriter, ExcelJS, SheetJS"
