#!/usr/bin/env bash
# Set up a fresh machine (Debian/Ubuntu with Python 3.11 and pip, as root): the system packages that the
# Excel parity tests (LibreOffice) and PNG charts (Chromium) need, then the pinned Python packages and tem.
# Without root or apt-get, the system packages are skipped with a note: HTML charts and the workbook still work.
set -euo pipefail
cd "$(dirname "$0")"
if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  updated=no
  if ! command -v soffice >/dev/null 2>&1 || ! command -v chromium >/dev/null 2>&1 || ! command -v pdftotext >/dev/null 2>&1; then
    apt-get update -qq && updated=yes
    apt-get install -y -qq --no-install-recommends libreoffice-calc-nogui chromium poppler-utils >/dev/null
  fi
  # Chromium's headless shell draws the PNG charts (the same bytes, about half the start time); optional: without
  # it (a distribution that does not package it) the PNGs are drawn by chromium
  if ! command -v chromium-headless-shell >/dev/null 2>&1; then
    { [ "$updated" = yes ] || apt-get update -qq; } &&
      apt-get install -y -qq --no-install-recommends chromium-headless-shell >/dev/null ||
      echo "setup.sh: chromium-headless-shell could not be installed: PNG charts use chromium (a slower start)" >&2
  fi
else
  echo "setup.sh: not root or no apt-get: install libreoffice-calc-nogui and chromium yourself for PNG charts and the Excel parity tests" >&2
fi
python3 -m pip install -q -r requirements.lock -e .
