#!/usr/bin/env bash
# The README's test command: installs what the tests need (Python and npm) and runs the suite.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install -q --disable-pip-version-check -e '.[test]'
if [ -f package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
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
