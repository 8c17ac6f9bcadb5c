"""The receipt audit review: what ran, what failed and what fixed it, which waivers and keys were
used, and which commits changed governed files without a passing receipt for that content.

Only receipts that verified count as evidence; chain problems are listed at the top.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from spine_gates.clock import now
from spine_gates.model.spine import load_config
from spine_gates.receipts.audit_failovers import failovers
from spine_gates.receipts.gitinfo import open_repo
from spine_gates.receipts.keys import short_id
from spine_gates.receipts.statement import LIVE_CONFIG_SUBJECT, governed_files, rfc3339, utc_now
from spine_gates.receipts.verify import ChainReport, Receipt, verify_chain
from spine_gates.secrets.redact import redact_text

EXPIRY_WINDOW_DAYS = 14


def build_audit(root: Path, today: _dt.date, failover: Path | None = None) -> dict[str, Any]:
    """The audit as plain data; every renderer (markdown, HTML, JSON) reads only this.

    `failover` is the spine's failover chain (failover/receipt.py): when given, its actions are
    a section of their own (`failover`), never mixed into the gate-run timeline."""
    report = verify_chain(root)
    receipts = report.receipts
    governed = _governed_files(root, receipts)
    audit = {
        "generated": rfc3339(utc_now()),
        "today": today.isoformat(),
        "chain": {"receipts": report.count, "verified": len(receipts), "ok": report.ok,
                  "pinned": report.pinned, "warnings": report.warnings,
                  "problems": [{"receipt": p.receipt, "reason": p.reason}
                               for p in report.problems]},
        "timeline": [_timeline_row(r) for r in receipts],
        "failures": _failures(receipts),
        "waivers": _waivers(receipts, today),
        "keys": _keys(report),
        "unreceipted": unreceipted_commits(root, governed, receipts),
    }
    if failover is not None:
        audit["failover"] = failover_section(root, failover)
    return audit


def failover_section(root: Path, directory: Path) -> dict[str, Any]:
    """The failover chain's verdict and one row per verified apply/revert."""
    report = verify_chain(root, directory)
    rows = []
    for receipt in report.receipts:
        predicate = receipt.predicate
        rows.append({"seq": receipt.seq, "runKey": predicate["runKey"],
                     "time": predicate["time"], "action": predicate.get("action"),
                     "overrides": [{k: o.get(k) for k in ("id", "slot", "replaces", "route",
                                                          "expires_at")}
                                   for o in predicate.get("overrides") or []
                                   if isinstance(o, dict)],
                     "findings": len(predicate.get("findings") or []),
                     "signer": receipt.signer.name, "keyid": short_id(receipt.signer.keyid)})

    return {"directory": str(directory),
            "chain": {"receipts": report.count, "verified": len(report.receipts),
                      "ok": report.ok, "problems": [{"receipt": p.receipt, "reason": p.reason}
                                                    for p in report.problems]},
            "actions": rows,
            "failovers": failovers([r.predicate for r in report.receipts], now())}


def _governed_files(root: Path, receipts: list[Receipt]) -> list[str]:
    """Today's governed files plus every file a verified receipt named. A spine-gates.yaml that
    cannot be read is an InputError: without it the registry paths are unknown, and an audit
    that silently looked at the default paths would miss the commits that matter."""

    files = set(governed_files(root, load_config(root).registries.values()))
    for receipt in receipts:
        files.update(n for n in receipt.subjects()
                     if not n.startswith(LIVE_CONFIG_SUBJECT))
    return sorted(files)


def exit_status(audit: dict[str, Any]) -> tuple[int, str | None]:
    """The audit's exit code and, when the chain is broken, the line for stderr.

    Like `git fsck` and `cosign verify`, a store that does not verify is a failure (exit 1) even
    though the review is still written: it lists the problems first and counts only verified
    receipts as evidence, so it never shows a clean timeline over a broken store."""
    chain = audit["chain"]
    if chain["ok"]:
        return 0, None
    problems = chain["problems"]
    return 1, (f"gates: receipt chain BROKEN: {len(problems)} problem(s), {chain['verified']} of "
               f"{chain['receipts']} receipt(s) verified; first: {problems[0]['receipt']}: "
               f"{problems[0]['reason']}")


def _git(receipt: Receipt) -> dict[str, Any]:
    git = receipt.predicate.get("git")
    return git if isinstance(git, dict) else {}


def _timeline_row(receipt: Receipt) -> dict[str, Any]:
    predicate = receipt.predicate
    git = _git(receipt)
    return {
        "seq": receipt.seq,
        "runKey": predicate["runKey"],
        "time": predicate["time"],
        "gate": predicate["gate"],
        "passed": receipt.passed,
        "exitCode": predicate["verdict"].get("exitCode"),
        "summary": predicate["verdict"].get("summary", {}),
        "commit": git.get("commit"),
        "branch": git.get("branch"),
        "dirty": git.get("dirty"),
        "signer": receipt.signer.name,
        "keyid": short_id(receipt.signer.keyid),
    }


def _failures(receipts: list[Receipt]) -> list[dict[str, Any]]:
    """Each failing run and the next passing run of the same gate (what fixed it), if any."""
    out = []
    for index, receipt in enumerate(receipts):
        if receipt.passed:
            continue
        gate = receipt.predicate["gate"]
        fix = next((r for r in receipts[index + 1:]
                    if r.predicate["gate"] == gate and r.passed), None)
        rules = sorted({str(f.get("rule")) for f in receipt.predicate["findings"]
                        if isinstance(f, dict)})
        row: dict[str, Any] = {"runKey": receipt.predicate["runKey"], "time":
                               receipt.predicate["time"], "gate": gate,
                               "commit": _git(receipt).get("commit"), "rules": rules,
                               "fixedBy": None}
        if fix is not None:
            before, after = receipt.subjects(), fix.subjects()
            changed = sorted(n for n in set(before) | set(after) if before.get(n) != after.get(n))
            row["fixedBy"] = {"runKey": fix.predicate["runKey"], "time": fix.predicate["time"],
                              "commit": _git(fix).get("commit"), "changed": changed}
        out.append(row)
    return out


def _waivers(receipts: list[Receipt], today: _dt.date) -> list[dict[str, Any]]:
    """Waivers used by any run (latest details win), flagged when expired or expiring soon."""
    used: dict[tuple[str, str, str], dict[str, Any]] = {}
    for receipt in receipts:
        for waiver in receipt.predicate["waivers"]:
            if not isinstance(waiver, dict):
                continue
            key = (str(waiver.get("rule")), str(waiver.get("file", "")),
                   str(waiver.get("pointer", "")))
            row = used.setdefault(key, {"rule": key[0], "file": key[1], "pointer": key[2],
                                        "uses": 0, "firstUsed": receipt.predicate["time"]})
            row.update({"owner": waiver.get("owner", ""), "expires": waiver.get("expires", ""),
                        "reason": waiver.get("reason", ""), "lastUsed": receipt.predicate["time"]})
            row["uses"] += 1
    for row in used.values():
        row["status"] = _expiry_status(str(row["expires"]), today)
    return [used[k] for k in sorted(used)]


def _expiry_status(expires: str, today: _dt.date) -> str:
    try:
        day = _dt.date.fromisoformat(expires[:10])
    except ValueError:
        return "unknown"
    if day < today:
        return "expired"
    if (day - today).days <= EXPIRY_WINDOW_DAYS:
        return "expiring"
    return "ok"


def _keys(report: ChainReport) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for key in report.keys:
        revocation = report.revocations.get(key.keyid)
        rows.setdefault(key.keyid, {
            "name": key.name, "keyid": short_id(key.keyid), "receipts": 0, "first": None,
            "last": None, "revokedAt": rfc3339(revocation.revoked_at) if revocation else None,
            "revocationReason": revocation.reason if revocation else ""})
    for receipt in report.receipts:
        row = rows[receipt.signer.keyid]
        row["receipts"] += 1
        row["first"] = row["first"] or receipt.predicate["time"]
        row["last"] = receipt.predicate["time"]
    return sorted(rows.values(), key=lambda r: (-r["receipts"], r["name"]))


def unreceipted_commits(root: Path, governed: list[str],
                        receipts: Iterable[Receipt]) -> dict[str, Any]:
    """Commits on HEAD's history that changed a governed file to content no passing receipt has.

    One `git log --raw` lists every change to a governed path with its blob id; each distinct blob
    is hashed once (SHA-256) and looked up among the passing receipts' subjects.
    """
    repo = open_repo(root)
    if repo is None:
        return {"checked": False, "reason": "the spine root is not in a git repository",
                "commits": []}
    try:
        repo.head.commit  # noqa: B018 - raises on an empty repository
    except ValueError:
        return {"checked": False, "reason": "the repository has no commits", "commits": []}
    top = Path(repo.working_tree_dir).resolve()
    to_spine: dict[str, str] = {}
    for name in governed:
        try:
            to_spine[(root.resolve() / name).relative_to(top).as_posix()] = name
        except ValueError:
            continue
    covered = {(name, digest) for r in receipts if r.passed
               for name, digest in r.subjects().items()}
    if not to_spine:
        return {"checked": True, "reason": "", "commits": []}
    log = repo.git.log("--format=%x00%H%x1f%cI%x1f%an%x1f%s", "--raw", "--no-renames",
                       "--no-abbrev", "--", *sorted(to_spine))
    blob_digest: dict[str, str] = {}
    commits = []

    for record in log.split("\0")[1:]:
        header, _, body = record.partition("\n")
        sha, when, author, subject = (header.split("\x1f") + ["", "", "", ""])[:4]
        missing = []
        for line in body.splitlines():
            if not line.startswith(":") or "\t" not in line:
                continue
            meta, path = line.split("\t", 1)
            blob = meta.split()[3]
            if set(blob) == {"0"} or path not in to_spine:
                continue  # deleted: there is no content to cover
            if blob not in blob_digest:
                data = repo.odb.stream(bytes.fromhex(blob)).read()
                blob_digest[blob] = hashlib.sha256(data).hexdigest()
            if (to_spine[path], blob_digest[blob]) not in covered:
                missing.append({"path": to_spine[path], "sha256": blob_digest[blob]})
        if missing:
            commits.append({"commit": sha, "time": when, "author": redact_text(author),
                            "subject": redact_text(subject), "files": missing})
    commits.reverse()
    return {"checked": True, "reason": "", "commits": commits}
