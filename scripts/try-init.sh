#!/usr/bin/env bash
# The reviewer's check for `gates init`, on a fresh machine: a new venv, the built wheel,
# `gates init x`, `gates run all --root x` (exit 0), a commit through the spine's own hooks,
# and `pre-commit run --all-files` (pass).
#
#   python3 -m pip wheel --no-deps -w dist .     # in a spine-gates checkout
#   scripts/try-init.sh dist/spine_gates-*.whl [WORKDIR]
#
# WORKDIR (default: a new temporary folder) receives venv/ and x/; a venv already there is
# reused. Needs git with a user identity, and the package index for the dependencies
# (tests/project/test_try_init.py runs it offline).
set -euo pipefail
wheel=${1:?usage: scripts/try-init.sh WHEEL [WORKDIR]}
work=${2:-$(mktemp -d)}
[ -x "$work/venv/bin/python" ] || python3 -m venv "$work/venv"
"$work/venv/bin/python" -m pip install -q "$wheel" pre-commit
export PATH="$work/venv/bin:$PATH"
set -x
gates --version
gates init "$work/x"
gates run all --root "$work/x"
cd "$work/x"
pre-commit install
git add -A
git commit -qm "spine from gates init"
pre-commit run --all-files
