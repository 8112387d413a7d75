#!/usr/bin/env bash
# Installs what a fresh machine lacks for this project: pnpm, the workspace's packages, Debian's
# Chromium for the browser tests, and Debian's Go with golang.org/x/mod (sources under
# /usr/share/gocode) for the transparency log's interoperability test. Safe to run again: each step
# is skipped when already done.
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

# Go's own sumdb/note and sumdb/tlog check our checkpoints and proofs (GOPATH mode, no network).
if ! command -v go >/dev/null 2>&1 || [ ! -d /usr/share/gocode/src/golang.org/x/mod/sumdb/note ]; then
  if [ "$(id -u)" = "0" ]; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq golang-go golang-golang-x-mod-dev >/dev/null
  else
    echo "setup: go or golang.org/x/mod is missing and this is not root: the Go interop test will fail" >&2
  fi
fi

pnpm install --frozen-lockfile
