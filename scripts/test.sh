#!/usr/bin/env bash
# The README's test command: installs what the tests need (Python and npm) and runs the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
# redis-server for the shared-state tests (tests/redis/ start their own on 127.0.0.1 and stop it):
# the Debian package, installed when missing; its system service is never started.
if ! command -v redis-server >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -q >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends redis-server \
      >/dev/null
  else
    echo "redis-server is missing: install it (Debian: apt-get install redis-server)" >&2
  fi
fi
export PATH="$PWD/.venv/bin:$PWD/node_modules/.bin:$PATH"
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
# pytest exits 5 when it collects no tests: treat it as a failure of the suite, not a pass.
if [ "$status" -eq 5 ]; then
  echo "no tests were collected" >&2
fi
exit "$status"
