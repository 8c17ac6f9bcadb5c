"""Verify the receipt chain, failing closed: every receipt must prove itself, or it is a problem.

Order per receipt: the file matches its index digest, the DSSE signature verifies under a trusted
key (on bytes, before the payload is parsed), the key was not revoked when it signed, the payload
is a well-formed Statement, and it names its predecessor's digest.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from spine_gates.checks.table import load_gates
from spine_gates.model.loader import paused_gc
from spine_gates.model.spine import load_config
from spine_gates.receipts import dsse
from spine_gates.receipts.anchors import load_keyring
from spine_gates.receipts.files import NotRegular, read_regular
from spine_gates.receipts.gitinfo import open_repo, worktree_of
from spine_gates.receipts.keys import PublicKey, Revocation, short_id
from spine_gates.receipts.statement import (
    LIVE_CONFIG_SUBJECT,
    PREDICATE_TYPE,
    PREDICATE_TYPES,
    RUN_KEY,
    SHA256_HEX,
    STATEMENT_TYPE,
    UTC_TIME,
    folder_of,
    governed_files,
    rfc3339,
    sha256_file,
)
from spine_gates.receipts.store import (
    INDEX_FILE,
    PENDING_FILE,
    RECEIPTS_DIR,
    SUFFIX,
    IndexEntry,
    digest_bytes,
    parse_index_line,
    read_index,
    reading,
    receipts_dir,
    stored_envelopes,
)
from spine_gates.report.envelope import dumps

_PATH_PARTS = 3  # yyyy/mm/<run-key>.dsse.json
_UNREADABLE = "unreadable index line"  # the expected previous digest when its line is broken


@dataclass(frozen=True)
class Problem:
    """One verification problem. Names and reasons can quote a tampered index (paths, JSON
    errors), so control characters are shown escaped: a planted escape sequence never reaches a
    terminal or a report raw."""

    receipt: str
    reason: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "receipt", _printable(self.receipt))
        object.__setattr__(self, "reason", _printable(self.reason))

    def __str__(self) -> str:
        return f"{self.receipt}: {self.reason}"


def _printable(text: str) -> str:
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


@dataclass(frozen=True)
class Receipt:
    """A receipt whose signature verified and whose payload parsed."""

    seq: int
    path: str
    digest: str
    statement: dict[str, Any]
    signer: PublicKey
    time: str  # RFC 3339 UTC, `YYYY-MM-DDTHH:MM:SSZ`

    @property
    def predicate(self) -> dict[str, Any]:
        return self.statement["predicate"]  # type: ignore[no-any-return]

    @property
    def passed(self) -> bool:
        return bool(self.predicate["verdict"]["passed"])

    def subjects(self) -> dict[str, str]:
        return {s["name"]: s["digest"]["sha256"] for s in self.statement["subject"]}


@dataclass
class ChainReport:
    receipts: list[Receipt] = field(default_factory=list)  # verified with no problem: evidence
    problems: list[Problem] = field(default_factory=list)
    keys: list[PublicKey] = field(default_factory=list)
    revocations: dict[str, Revocation] = field(default_factory=dict)
    count: int = 0
    pinned: bool = False  # the keyring is the keys committed at HEAD
    warnings: list[str] = field(default_factory=list)  # e.g. why the keyring is unpinned

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class _Opened:
    """What the worker threads found for one index entry, before anything is parsed.

    `signer` is set only when a trusted key verified the signature over the file's PAE bytes;
    only then does the main thread parse `payload`."""

    unreadable: str = ""  # "missing", or the problem reading the file
    matches_index: bool = True
    signature_error: str = ""
    payload: bytes = b""
    signer: PublicKey | None = None


_BATCH = 128  # receipts a worker checks per task: enough to amortise the task's overhead


def verify_chain(root: Path, directory: Path | None = None) -> ChainReport:
    """Check every receipt in index order; bad key files are InputErrors (exit 3).

    Reading, hashing and the Ed25519 check of each file run in a thread pool (OpenSSL releases
    the GIL, so they use every core); everything that depends on order (the chain, times, the
    index sequence) runs in the main thread, in index order, on files whose signature verified.
    The cyclic garbage collector is paused meanwhile: the parsed statements hold no cycles, and
    its repeated passes over thousands of kept statements cost a fifth of the run.

    `directory` is another chain verified with the spine's trust anchors (the failover chain in
    the user's state dir); its git history is not the spine's, so it is not read.
    """
    with paused_gc():
        return _verify_chain(root, directory)


def _verify_chain(root: Path, other: Path | None = None) -> ChainReport:
    ring = load_keyring(root)
    keys = ring.keys
    report = ChainReport(keys=keys, revocations=ring.revocations, pinned=ring.pinned,
                         warnings=[ring.warning] if ring.warning else [])
    report.problems.extend(Problem(name, reason) for name, reason in ring.problems)
    directory = other or receipts_dir(root)
    with reading(directory):  # a consistent snapshot: no writer is between index and rename
        lines, complete = read_index(directory)
        stored = stored_envelopes(directory)
    report.count = len(lines)
    if lines and not keys:
        where = " committed at HEAD" if ring.pinned else ""
        report.problems.append(Problem(f"{RECEIPTS_DIR}/keys/", f"no trusted public keys (*.pub)"
                                                                f"{where}: nothing can verify"))
    entries: list[IndexEntry | str] = []  # the parsed line, or what is wrong with it
    placed: list[IndexEntry] = []  # the entries whose files are opened and verified
    for number, text in lines:
        try:
            parsed = parse_index_line(text, number)
        except ValueError as exc:
            entries.append(str(exc))
            continue
        entries.append(parsed)
        if _well_placed(parsed):
            placed.append(parsed)
    opened = _open_all(os.fspath(directory), placed, dsse.KeyRing(keys))
    expected_previous: str | None = None
    last_time: str | None = None
    seen: set[str] = set()
    pending = directory / PENDING_FILE
    for position, ((number, _text), entry) in enumerate(zip(lines, entries, strict=True), 1):
        if isinstance(entry, str):  # the line itself is broken
            report.problems.append(Problem(f"{RECEIPTS_DIR}/{INDEX_FILE}:{number}", entry))
            expected_previous = _UNREADABLE
            continue
        name = f"{RECEIPTS_DIR}/{entry.path}"
        known = len(report.problems)
        _sequence_problems(report, entry, name, position, seen)
        if not _well_placed(entry):
            report.problems.append(Problem(name, "index path is not "
                                                 "<yyyy>/<mm>/<run-key>.dsse.json"))
            expected_previous = entry.digest
            continue
        receipt = _check_entry(entry, name, next(opened), report, expected_previous,
                               last_time, pending)
        if receipt is not None:
            last_time = receipt.time
            if len(report.problems) == known:  # only a receipt with no problem is evidence
                report.receipts.append(receipt)
        expected_previous = entry.digest
    if not complete:
        last = lines[-1][0] if lines else 1
        report.problems.append(Problem(f"{RECEIPTS_DIR}/{INDEX_FILE}:{last}",
                                       "the last index line has no newline (a torn or truncated "
                                       "write); nothing may be appended until it is repaired"))
    for relative in stored:
        if relative not in seen:
            report.problems.append(Problem(f"{RECEIPTS_DIR}/{relative}",
                                           "not in the index (inserted, or left by a crashed "
                                           "write)"))
    if other is not None:
        return report
    for relative in sorted(ring.committed - seen):  # what HEAD tracks must not vanish
        if not os.path.lexists(directory / relative):
            name = f"{RECEIPTS_DIR}/{relative}"
            report.problems.append(Problem(name, "committed at HEAD but deleted from the "
                                                 f"worktree; restore it: git checkout HEAD -- "
                                                 f"{name}"))
    if lines or (directory / INDEX_FILE).exists():
        report.problems.extend(check_index_history(root))
    return report


def _well_placed(entry: IndexEntry) -> bool:
    """The index path is `<yyyy>/<mm>/<run-key>.dsse.json` for the entry's own run key."""
    parts = entry.path.split("/")
    return (len(parts) == _PATH_PARTS and ".." not in parts and parts[2].endswith(SUFFIX)
            and parts[2][: -len(SUFFIX)] == entry.run_key)


def _sequence_problems(report: ChainReport, entry: IndexEntry, name: str, position: int,
                       seen: set[str]) -> None:
    if entry.seq != position or type(entry.seq) is not int:
        report.problems.append(Problem(name, f"index sequence is {entry.seq} at position "
                                       f"{position} (a receipt was deleted, inserted or "
                                       "moved)"))
    if entry.path in seen:
        report.problems.append(Problem(name, "listed twice in the index"))
    seen.add(entry.path)


def _open_all(directory: str, entries: list[IndexEntry],
              ring: dsse.KeyRing) -> Iterator[_Opened]:
    """`_open_one` for each entry, in order, computed by a thread pool in batches."""
    from concurrent.futures import ThreadPoolExecutor

    batches = [entries[i:i + _BATCH] for i in range(0, len(entries), _BATCH)]
    workers = max(1, min(8, os.cpu_count() or 1, len(batches)))
    with ThreadPoolExecutor(workers, thread_name_prefix="receipt-verify") as pool:
        for batch in pool.map(lambda b: [_open_one(directory, e, ring) for e in b], batches):
            yield from batch


def _open_one(directory: str, entry: IndexEntry, ring: dsse.KeyRing) -> _Opened:
    """Read one receipt file, compare its digest with the index, and verify its signature over
    the PAE bytes; nothing in the payload is parsed here."""
    try:
        data = read_regular(os.path.join(directory, entry.path))
    except NotRegular:
        return _Opened(unreadable="receipt file is not a regular file")
    except PermissionError:
        return _Opened(unreadable="receipt file cannot be read (permission denied)")
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return _Opened(unreadable="missing")
    except OSError as exc:  # a socket (ENXIO), a link loop (ELOOP), an I/O error: not evidence
        return _Opened(unreadable=f"receipt file cannot be read ({exc.strerror or exc})")
    except (ValueError, UnicodeError):  # a NUL or a lone surrogate in the index's path
        return _Opened(unreadable="receipt path cannot name a file")
    matches = digest_bytes(data) == entry.digest
    try:
        envelope = dsse.parse_envelope(data)
        signer = dsse.verify(envelope, ring)
    except dsse.EnvelopeError as exc:
        return _Opened(matches_index=matches, signature_error=str(exc))
    return _Opened(matches_index=matches, payload=envelope.payload, signer=signer)


def _check_entry(entry: IndexEntry, name: str, opened: _Opened, report: ChainReport,
                 expected_previous: str | None, last_time: str | None,
                 pending: Path) -> Receipt | None:
    def fail(reason: str) -> None:
        report.problems.append(Problem(name, reason))

    if opened.unreadable == "missing":
        if pending.is_file():
            fail("receipt file is missing; an interrupted write left it in "
                 f"{RECEIPTS_DIR}/{PENDING_FILE} (the next gate run with --receipt completes it)")
        else:
            fail("receipt file is missing (deleted?)")
        return None
    if opened.unreadable:
        fail(opened.unreadable)
        return None
    if not opened.matches_index:
        fail("file does not match the digest recorded in the index (modified after writing)")
    signer = opened.signer
    if signer is None:
        fail(f"signature check failed: {opened.signature_error}")
        return None
    try:
        statement = json.loads(opened.payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        fail("signed payload is not JSON")
        return None
    shape = _statement_problem(statement)
    if shape:
        fail(shape)
        return None
    predicate = statement["predicate"]
    when = predicate["time"]  # fixed-width UTC, so string order is time order
    revocation = report.revocations.get(signer.keyid)
    # A key revoked at D invalidates what it signed at or after D (both to the second).
    if revocation is not None and when >= rfc3339(revocation.revoked_at):
        fail(f"signed by key {signer.name} ({short_id(signer.keyid)}) at {when}, "
             f"but that key was revoked at {rfc3339(revocation.revoked_at)}")
    if predicate["runKey"] != entry.run_key:
        fail(f"signed run key {predicate['runKey']!r} does not match the file name")
    stamp = f"{when[0:4]}{when[5:7]}{when[8:10]}-{when[11:13]}{when[14:16]}{when[17:19]}"
    if stamp != entry.run_key[4:19] or entry.path[:7] != f"{when[0:4]}/{when[5:7]}":
        fail("signed time does not match the run key and folder")
    if expected_previous is _UNREADABLE:
        fail("chain cannot be checked here: the index line before it is unreadable")
    elif predicate["previous"] != expected_previous:
        fail(f"chain broken: names previous {predicate['previous'] or 'none (genesis)'}, "
             f"expected {expected_previous or 'none (genesis)'}")
    if last_time is not None and when < last_time:
        fail("signed earlier than the receipt before it (reordered or backdated)")
    return Receipt(entry.seq, entry.path, entry.digest, statement, signer, when)


def _statement_problem(statement: Any) -> str:
    """What makes `statement` not a gate-run Statement, or '' when it is one."""
    if not isinstance(statement, dict) or statement.get("_type") != STATEMENT_TYPE:
        return "payload is not an in-toto Statement v1"
    if statement.get("predicateType") not in PREDICATE_TYPES:
        return f"predicateType is not {PREDICATE_TYPE}"
    subjects = statement.get("subject")
    if not isinstance(subjects, list) or not subjects:
        return "statement has no subjects"
    names: set[str] = set()
    for subject in subjects:
        if not isinstance(subject, dict) or not isinstance(subject.get("name"), str) \
                or not subject["name"]:
            return "a subject has no name"
        digest = subject.get("digest")
        if not isinstance(digest, dict) or not isinstance(digest.get("sha256"), str) \
                or not SHA256_HEX.fullmatch(digest["sha256"]):
            return f"subject {subject['name']!r} has no well-formed sha256 digest"
        if subject["name"] in names:
            return f"subject {subject['name']!r} appears twice"
        names.add(subject["name"])
    predicate = statement.get("predicate")
    if not isinstance(predicate, dict):
        return "statement has no predicate"
    for key, kind in (("runKey", str), ("gate", str), ("time", str), ("verdict", dict),
                      ("findings", list), ("waivers", list), ("policyDigest", str)):
        if not isinstance(predicate.get(key), kind):
            return f"predicate field {key!r} is missing or not a {kind.__name__}"
    if not UTC_TIME.fullmatch(predicate["time"]):
        return f"predicate time {predicate['time']!r} is not RFC 3339 UTC (YYYY-MM-DDTHH:MM:SSZ)"
    if not RUN_KEY.fullmatch(predicate["runKey"]):
        return f"run key {predicate['runKey']!r} is not CAP-YYYYMMDD-HHMMSS__gates.<gate>__R<4>"
    if not isinstance(predicate["verdict"].get("passed"), bool):
        return "verdict.passed is not a boolean"
    previous = predicate.get("previous", "missing")
    if previous is not None and not (isinstance(previous, str) and previous.startswith("sha256:")
                                     and SHA256_HEX.fullmatch(previous[7:])):
        return "predicate 'previous' is neither null nor a sha256 digest"
    return ""


def check_worktree(root: Path, report: ChainReport,
                   governed: list[str] | None = None) -> list[Problem]:
    """No unreceipted change: each governed file's content today is what the newest passing
    receipt of a gate that reads the file recorded (registries and settings: any gate; the
    spine's own packs and scenarios: only the gates that read them).

    A file that receipt names must still exist with the same digest; a file it does not name
    must not exist (added since). `governed` defaults to every governed file of the spine as it
    is now; a broken spine-gates.yaml is an InputError (exit 3)."""

    if governed is None:

        governed = governed_files(root, load_config(root).registries.values())
    passing = [r for r in report.receipts if r.passed]
    if not passing:
        return [Problem(f"{RECEIPTS_DIR}/", "no passing receipt to compare the worktree with")]
    gates = load_gates()

    def reads(receipt: Receipt) -> frozenset[str] | None:  # None: every folder (`all`)
        gate = str(receipt.predicate.get("gate"))
        return None if gate == "all" or gate not in gates else gates[gate].reads

    files = set(governed) | {n for r in passing for n in r.subjects()
                             if not n.startswith(LIVE_CONFIG_SUBJECT)}
    problems = []
    for file in sorted(files):
        folder = folder_of(file)
        newest = next((r for r in reversed(passing)
                       if not folder or (found := reads(r)) is None or folder in found), None)
        path = root / file
        if newest is None:
            if path.is_file():
                problems.append(Problem(f"{RECEIPTS_DIR}/", f"{file}: no passing run of a gate "
                                                           "that reads it"))
            continue
        name = f"{RECEIPTS_DIR}/{newest.path}"
        subjects = newest.subjects()
        if file not in subjects:
            if path.is_file():
                gate = newest.predicate["gate"]
                problems.append(Problem(name, f"{file} was added after the newest passing run "
                                              f"of a gate that reads it ({gate})"))
        elif not path.is_file():
            problems.append(Problem(name, f"{file} is gone from the worktree"))
        elif sha256_file(path) != subjects[file]:
            problems.append(Problem(name, f"{file} changed since the newest passing run of a "
                                          f"gate that reads it ({newest.predicate['gate']}); no "
                                          "passing run covers its current content"))
    return problems


def verify_dict(report: ChainReport, problems: list[Problem]) -> dict[str, Any]:
    """The verdict for machines (the JSON report's body, before its envelope)."""
    head = report.receipts[-1] if report.receipts else None
    return {"ok": not problems, "receipts": report.count, "verified": len(report.receipts),
            "head": head.digest if head else None, "pinned": report.pinned,
            "warnings": report.warnings,
            "problems": [{"receipt": p.receipt, "reason": p.reason} for p in problems]}


def render_verify(report: ChainReport, problems: list[Problem], fmt: str,
                  sections: dict[str, Any] | None = None) -> str:
    """Text: one line per problem naming the receipt and the reason; JSON for machines, with
    `sections` (another chain's verdict) beside the verdict's own fields."""
    head = report.receipts[-1] if report.receipts else None
    if fmt == "json":
        return dumps({**verify_dict(report, problems), **(sections or {})})
    if problems:
        lines = [f"FAIL {p}" for p in problems]
        lines.append(f"{len(problems)} problem(s) in {report.count} receipt(s)")
        return "\n".join(lines) + "\n"
    if not report.count:
        return "ok: no receipts yet\n"
    return (f"ok: {report.count} receipt(s) verified, chain intact (head "
            f"{head.digest[:15] if head else '-'})\n")


def check_index_history(root: Path) -> list[Problem]:
    """When the index is committed, git remembers it: every commit may only append to it, and the
    worktree index must extend the committed one. This catches a truncated tail, which the files
    alone cannot show."""
    if worktree_of(root) is None and "GIT_DIR" not in os.environ:
        return []  # not in a repository: no history to read (and no gitpython to import)
    index = receipts_dir(root) / INDEX_FILE
    repo = open_repo(root)
    if repo is None or repo.working_tree_dir is None:
        return []
    try:
        relative = index.resolve().relative_to(Path(repo.working_tree_dir).resolve()).as_posix()
        repo.head.commit  # noqa: B018 - raises on an empty repository
    except ValueError:
        return []
    if not repo.git.ls_tree("HEAD", "--", relative):
        return []  # not committed yet (untracked, or only staged): no history to compare
    name = f"{RECEIPTS_DIR}/{INDEX_FILE}"
    problems = []
    log = repo.git.log("--format=%x00%H", "-p", "--unified=0", "--no-renames", "--", relative)
    for record in log.split("\0")[1:]:
        sha, _, diff = record.partition("\n")
        removed = [line for line in diff.splitlines()
                   if line.startswith("-") and not line.startswith("---")]
        if removed:
            problems.append(Problem(name, f"commit {sha[:12]} removed or rewrote {len(removed)} "
                                          "index line(s); the index is append-only"))
    committed = repo.git.show(f"HEAD:{relative}")
    current = index.read_text("utf-8", "replace") if index.exists() else ""
    if committed and not current.startswith(committed.rstrip("\n")):
        problems.append(Problem(name, "the worktree index does not extend the committed one "
                                      "(receipts were removed or rewritten since HEAD)"))
    return problems
