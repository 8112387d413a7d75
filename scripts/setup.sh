#!/usr/bin/env bash
# Installs what a fresh machine lacks for this project: pnpm, the workspace's packages, and Debian's
# Chromium for the browser tests. Safe to run again: each step is skipped when already done.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "10.34.8" ]; then
  npm install --global pnpm@10.34.8 --no-fund --no-audit
fi

if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  else
    echo "setup: chromium is missing and this is not root: the browser tests will fail" >&2
  fi
fi

# The full-disk and read-only-media tests mount small tmpfs volumes (as root, as CI runs), and the
# frozen-PostgreSQL test finds the server's processes with ps.
if ! command -v mount >/dev/null 2>&1 || ! command -v ps >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq mount procps >/dev/null
  else
    echo "setup: mount or ps is missing and this is not root: the full-disk tests will fail" >&2
  fi
fi

pnpm install --frozen-lockfile
