"""The README's rule catalogue is the generated one."""

from __future__ import annotations

from tests.helpers import REPO


def test_readme_rule_catalogue_matches_the_policies(gates):
    generated = gates("policy", "rules", "--format", "markdown").stdout
    readme = (REPO / "README.md").read_text()
    block = readme.split("<!-- rules:start -->\n", 1)[1].split("<!-- rules:end -->", 1)[0]
    assert block == generated, (
        "README rule catalogue is stale: replace the block between the rules markers with "
        "the output of `gates policy rules --format markdown`"
    )
