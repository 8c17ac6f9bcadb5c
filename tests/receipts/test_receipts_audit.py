"""The audit review against a real git history: it lists exactly the unreceipted commits."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import git
import pytest

from tests.helpers import gates_env, run_gates

PROVIDERS = "docs/governance/PROVIDER_REGISTRY.yaml"
ROLES = "docs/governance/ROLE_PROVIDER_MAPS.yaml"
CLIS = "docs/governance/CLI_INTERFACE_REGISTRY.yaml"


class History:
    """A spine in a real git repository, with commits and real gate runs via the CLI."""

    def __init__(self, root: Path, key: Path) -> None:
        self.root = root
        self.key = key
        self.repo = git.Repo.init(root)
        with self.repo.config_writer() as config:
            config.set_value("user", "name", "Test Author")
            config.set_value("user", "email", "author@example.invalid")
        self.runs: list[dict] = []

    def edit(self, rel: str, old: str | None = None, new: str = "") -> None:
        path = self.root / rel
        text = path.read_text()
        path.write_text(text.replace(old, new) if old else text + new)

    def commit(self, message: str, *paths: str) -> str:
        self.repo.index.add(list(paths))
        return self.repo.index.commit(message).hexsha

    def run(self, gate: str = "registry-policy") -> dict:
        result = run_gates("run", gate, "--root", str(self.root), "--receipt", "--signing-key",
                           str(self.key), "--format", "json")
        assert result.returncode in (0, 1), result.stderr
        report = json.loads(result.stdout)
        assert report["receipt"]["digest"].startswith("sha256:")
        self.runs.append(report)
        return report

    def audit(self, fmt: str = "json", today: str | None = None
              ) -> subprocess.CompletedProcess[str]:
        env = gates_env(SPINE_GATES_TODAY=today) if today else None
        return run_gates("receipts", "audit", "--root", str(self.root), "--format", fmt, env=env)


@pytest.fixture
def history(spine: Path, tmp_path: Path) -> History:
    key = tmp_path / "keys" / "ci.key"
    made = run_gates("receipts", "keygen", "--root", str(spine), "--out", str(key), "--name", "ci")
    assert made.returncode == 0, made.stderr
    h = History(spine, key)
    h.commit("initial spine", "docs", "receipts/keys/ci.pub")
    return h


def test_audit_lists_exactly_the_commits_without_a_passing_receipt(history):
    h = history
    h.run()  # covers the initial commit
    unreceipted = []
    h.edit(PROVIDERS, new="# draft one, never gated\n")
    unreceipted.append(h.commit("providers draft, never gated", PROVIDERS))
    h.edit(PROVIDERS, new="# draft two\n")
    h.edit(CLIS, new="# reviewed and gated\n")
    covered_commit = h.commit("providers and clis, gated", PROVIDERS, CLIS)
    h.run()
    h.edit(ROLES, "nvidia_nim/moonshotai/kimi-k2.5", "nowhere/m")
    unreceipted.append(h.commit("dangling fallback, gate fails", ROLES))
    assert h.run()["passed"] is False
    h.edit(ROLES, "nowhere/m", "nvidia_nim/moonshotai/kimi-k2.5")
    h.edit(ROLES, new="# fixed\n")
    fix_commit = h.commit("fix the dangling fallback", ROLES)
    h.run()
    (h.root / "NOTES.md").write_text("not governed\n")
    h.commit("ungoverned file", "NOTES.md")
    h.edit(PROVIDERS, new="# gated before committing\n")
    h.run()  # the worktree content is what the receipt covers
    gated_first = h.commit("gated before commit", PROVIDERS)

    result = h.audit()
    assert result.returncode == 0, result.stderr
    audit = json.loads(result.stdout)
    assert audit["unreceipted"]["checked"] is True
    listed = [c["commit"] for c in audit["unreceipted"]["commits"]]
    assert listed == unreceipted
    assert covered_commit not in listed and fix_commit not in listed
    assert gated_first not in listed
    files = {c["commit"]: [f["path"] for f in c["files"]] for c in audit["unreceipted"]["commits"]}
    assert files == {unreceipted[0]: [PROVIDERS], unreceipted[1]: [ROLES]}


def test_audit_timeline_failures_and_fixes(history):
    h = history
    h.edit(ROLES, "nvidia_nim/moonshotai/kimi-k2.5", "nowhere/m")
    broken = h.commit("break", ROLES)
    failing = h.run()
    h.edit(ROLES, "nowhere/m", "nvidia_nim/moonshotai/kimi-k2.5")
    fixed = h.commit("fix", ROLES)
    passing = h.run()
    audit = json.loads(h.audit().stdout)
    assert audit["chain"]["ok"] is True
    timeline = audit["timeline"]
    assert [(r["gate"], r["passed"], r["commit"], r["signer"]) for r in timeline] == [
        ("registry-policy", False, broken, "ci"), ("registry-policy", True, fixed, "ci")]
    assert audit["failures"] == [{
        "runKey": failing["receipt"]["runKey"], "time": timeline[0]["time"],
        "gate": "registry-policy",
        "commit": broken, "rules": sorted({f["rule"] for f in failing["findings"]
                                           if "suppressed" not in f}),
        "fixedBy": {"runKey": passing["receipt"]["runKey"], "time": timeline[1]["time"],
                    "commit": fixed, "changed": [ROLES]}}]
    assert audit["keys"][0]["name"] == "ci" and audit["keys"][0]["receipts"] == 2


def test_audit_reports_waivers_used_and_those_expiring_within_14_days(history):
    h = history
    h.edit(ROLES, "nvidia_nim/moonshotai/kimi-k2.5", "nowhere/m")
    gated = run_gates("run", "registry-policy", "--root", str(h.root), "--format", "json")
    rules = sorted({f["rule"] for f in json.loads(gated.stdout)["findings"]})
    expired = "".join(f"  - rule: {rule}\n    reason: an old exception\n    owner: \"@old\"\n"
                      f"    expires: \"2026-01-01\"\n" for rule in rules)
    waivers = "waivers:\n" + expired + "".join(
        f"  - rule: {rule}\n    file: {ROLES}\n    reason: migration in progress\n"
        f"    owner: \"@ronny\"\n    expires: \"2026-12-01\"\n" for rule in rules)
    (h.root / "waivers.yaml").write_text(waivers)
    assert h.run()["passed"] is True
    audit = json.loads(h.audit().stdout)
    assert {w["rule"] for w in audit["waivers"]} == set(rules)
    assert all(w["status"] == "expiring" and w["owner"] == "@ronny" and w["uses"] == 1
               and w["expires"] == "2026-12-01" for w in audit["waivers"])
    markdown = h.audit("markdown").stdout
    assert "Expired or expiring within 14 days" in markdown


def test_a_used_waiver_is_expiring_from_14_days_before_through_its_expiry_day(history):
    h = history
    h.edit(ROLES, "nvidia_nim/moonshotai/kimi-k2.5", "nowhere/m")
    gated = run_gates("run", "registry-policy", "--root", str(h.root), "--format", "json")
    rules = sorted({f["rule"] for f in json.loads(gated.stdout)["findings"]})
    (h.root / "waivers.yaml").write_text("waivers:\n" + "".join(
        f"  - rule: {rule}\n    reason: migration in progress\n    owner: \"@ronny\"\n"
        f"    expires: \"2026-12-01\"\n" for rule in rules))
    assert h.run()["passed"] is True
    for today, status in (("2026-11-16", "ok"), ("2026-11-17", "expiring"),
                          ("2026-12-01", "expiring"), ("2026-12-02", "expired")):
        audit = json.loads(h.audit(today=today).stdout)
        assert {w["status"] for w in audit["waivers"]} == {status}, today


def test_html_audit_is_self_contained_with_an_svg_timeline(history, tmp_path):
    h = history
    h.run()
    h.edit(ROLES, "nvidia_nim/moonshotai/kimi-k2.5", "nowhere/m")
    h.run()
    out = tmp_path / "audit.html"
    result = run_gates("receipts", "audit", "--root", str(h.root), "--format", "html",
                       "--output", str(out))
    assert result.returncode == 0 and result.stdout == ""
    html = out.read_text()
    assert html.startswith("<!DOCTYPE html>") and "<svg" in html
    assert html.count('class="pass"') == 1 and html.count('class="fail"') == 1
    for external in ("<script src", "<link", "<img", "url("):
        assert external not in html


def test_audit_outside_git_says_the_commit_check_was_skipped(spine, tmp_path):
    key = tmp_path / "k" / "ci.key"
    assert run_gates("receipts", "keygen", "--root", str(spine), "--out", str(key)).returncode == 0
    assert run_gates("run", "registry-policy", "--root", str(spine), "--receipt", "--signing-key",
                     str(key)).returncode == 0
    result = run_gates("receipts", "audit", "--root", str(spine), env=gates_env())
    assert "Not checked: the spine root is not in a git repository." in result.stdout
