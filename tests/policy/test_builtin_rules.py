"""Built-in rules are described once, in policies/builtin/rules.yaml: the catalogue, the reports
and the waiver check read it there, without importing the checks that report the rules."""

from __future__ import annotations

import subprocess
import sys

from spine_gates.checks.interface import builtin_rules, rule_meta
from spine_gates.model.coercions import COERCION_RULE, COERCION_TITLE
from spine_gates.model.schemas import SCHEMA_RULE, SCHEMA_TITLE
from spine_gates.policy.catalogue import catalogue_rows
from tests.helpers import REPO, gates_env


def test_each_built_in_rule_is_described_once() -> None:
    ids = [rule.meta.id for rule in builtin_rules()]
    assert len(ids) == len(set(ids))


def test_the_catalogue_lists_each_built_in_rule_once_as_built_in() -> None:
    listed = [row[0] for row in catalogue_rows() if row[4] == "built-in"]
    assert sorted(listed) == sorted(rule.meta.id for rule in builtin_rules())


def test_registry_findings_carry_the_titles_the_rules_file_gives() -> None:
    # The model layer sits below the check interface, so it keeps its own copy of two titles.
    assert rule_meta(SCHEMA_RULE).title == SCHEMA_TITLE
    assert rule_meta(COERCION_RULE).title == COERCION_TITLE


def test_listing_rule_ids_imports_no_check_implementation() -> None:
    probe = ("import sys\n"
             "from spine_gates.policy.catalogue import known_rule_ids\n"
             "assert 'DRIFT-001' in known_rule_ids() and 'WAIVER-003' in known_rule_ids()\n"
             "print(sorted(m for m in sys.modules if m.endswith(('gate_kinds', 'named_checks'))"
             " or m.startswith(('spine_gates.ccr', 'spine_gates.drift', 'spine_gates.routing'))))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=REPO, env=gates_env(),
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
