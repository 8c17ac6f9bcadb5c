"""Render the audit data for people (markdown, self-contained HTML with an SVG timeline) and
machines (JSON). Every renderer reads only the dict from `audit.build_audit`.

Commit subjects, author names, gate names and waiver reasons are other people's text: the
markdown and HTML views show their control, bidi and zero-width characters as visible escapes."""

from __future__ import annotations

import datetime as _dt
from html import escape as _html_escape
from typing import Any

from spine_gates.printable import visible, visible_lines
from spine_gates.receipts.audit_failovers import HEADERS as FAILOVER_HEADERS
from spine_gates.receipts.audit_failovers import table_rows as failover_cells
from spine_gates.report.envelope import dumps


def render_json(audit: dict[str, Any]) -> str:
    return dumps(audit)


def _short(commit: Any) -> str:
    return str(commit)[:12] if commit else "-"


def _verdict(row: dict[str, Any]) -> str:
    return "pass" if row["passed"] else f"FAIL (exit {row.get('exitCode')})"


def _md(text: Any) -> str:
    return visible(text).replace("|", "\\|")


def escape(text: Any) -> str:
    """HTML-escaped and visible: no markup, no bidi reordering, no hidden characters."""
    return _html_escape(visible(text))


def render_markdown(audit: dict[str, Any]) -> str:
    chain = audit["chain"]
    out = ["# Receipt audit", "",
           f"Generated {audit['generated']} (today {audit['today']}). "
           f"{chain['verified']} of {chain['receipts']} receipt(s) verified; chain "
           f"{'intact' if chain['ok'] else 'BROKEN'}.", ""]
    out += [f"**Warning:** {_md(w)}." for w in chain.get("warnings", [])]
    if chain.get("warnings"):
        out.append("")
    if chain["problems"]:
        out += ["**The receipt store does not verify.** Only the receipts that verified are "
                "evidence below; runs behind the problems are missing from the timeline and "
                "their commits may be listed as unreceipted.", ""]
        out += ["## Verification problems", ""]
        out += [f"- `{_md(p['receipt'])}`: {_md(p['reason'])}" for p in chain["problems"]]
        out.append("")
    out += ["## Timeline", ""]
    if audit["timeline"]:
        out += ["| # | time | gate | verdict | commit | signer | run key |",
                "|---|---|---|---|---|---|---|"]
        for row in audit["timeline"]:
            dirty = " (dirty)" if row.get("dirty") else ""
            out.append(f"| {row['seq']} | {row['time']} | {_md(row['gate'])} | {_verdict(row)} | "
                       f"{_short(row['commit'])}{dirty} | {_md(row['signer'])} "
                       f"({row['keyid']}) | `{row['runKey']}` |")
    else:
        out.append("No verified receipts.")
    out += ["", "## Failures and what fixed them", ""]
    if not audit["failures"]:
        out.append("No failing runs.")
    for row in audit["failures"]:
        rules = ", ".join(row["rules"]) or "-"
        fix = row["fixedBy"]
        if fix is None:
            after = "**not fixed yet** (no later passing run of this gate)"
        else:
            changed = ", ".join(f"`{_md(c)}`" for c in fix["changed"]) or "no governed file"
            after = (f"fixed by `{fix['runKey']}` at {_short(fix['commit'])} "
                     f"({fix['time']}; changed {changed})")
        out.append(f"- `{row['runKey']}` {_md(row['gate'])} at {_short(row['commit'])}: rules "
                   f"{_md(rules)}; {after}")
    out += ["", "## Waivers used", ""]
    if audit["waivers"]:
        out += ["| rule | file | pointer | owner | expires | status | uses | reason |",
                "|---|---|---|---|---|---|---|---|"]
        for w in audit["waivers"]:
            status = w["status"] if w["status"] == "ok" else f"**{w['status']}**"
            out.append(f"| {_md(w['rule'])} | {_md(w['file'])} | {_md(w['pointer'])} | "
                       f"{_md(w['owner'])} | {w['expires']} | {status} | {w['uses']} | "
                       f"{_md(w['reason'])} |")
        soon = [w for w in audit["waivers"] if w["status"] in ("expiring", "expired")]
        if soon:
            out += ["", "Expired or expiring within 14 days: "
                    + ", ".join(f"{_md(w['rule'])} ({w['expires']})" for w in soon) + "."]
    else:
        out.append("No waivers used.")
    out += ["", "## Keys", "", "| key | id | receipts | first | last | revoked |",
            "|---|---|---|---|---|---|"]
    for k in audit["keys"]:
        out.append(f"| {_md(k['name'])} | {k['keyid']} | {k['receipts']} | {k['first'] or '-'} "
                   f"| {k['last'] or '-'} | {k['revokedAt'] or '-'} |")
    out += ["", "## Commits without a passing receipt", ""]
    unreceipted = audit["unreceipted"]
    if not unreceipted["checked"]:
        out.append(f"Not checked: {_md(unreceipted['reason'])}.")
    elif not unreceipted["commits"]:
        out.append("Every commit that changed a governed file has a passing receipt for that "
                   "content.")
    for c in unreceipted["commits"]:
        files = ", ".join(f"`{_md(f['path'])}`" for f in c["files"])
        out.append(f"- {_short(c['commit'])} {c['time']} {_md(c['author'])}: "
                   f"{_md(c['subject'])} — {files}")
    if "failover" in audit:
        out += _failover_markdown(audit["failover"])
    return visible_lines(out)  # and whatever a field above left unescaped


def _failover_rows(section: dict[str, Any]) -> list[list[Any]]:
    return [[r["seq"], r["time"], r["action"],
             "; ".join(f"{o['id']} {o['slot']}: {o['replaces']} -> {o['route']} until "
                       f"{o['expires_at']}" for o in r["overrides"]) or "-",
             r["findings"], f"{r['signer']} ({r['keyid']})", r["runKey"]]
            for r in section["actions"]]


_FAILOVER_HEADERS = ["#", "time", "action", "overrides", "findings", "signer", "run key"]


def _failover_markdown(section: dict[str, Any]) -> list[str]:
    chain = section["chain"]
    out = ["", "## Failover actions", "",
           f"From `{_md(section['directory'])}` (signed on a workstation, a chain of its own): "
           f"{chain['verified']} of {chain['receipts']} receipt(s) verified; chain "
           f"{'intact' if chain['ok'] else 'BROKEN'}.", ""]
    out += [f"- `{_md(p['receipt'])}`: {_md(p['reason'])}" for p in chain["problems"]]
    if chain["problems"]:
        out.append("")
    rows = _failover_rows(section)
    if not rows:
        return [*out, "No verified failover receipts."]
    out += _md_table(_FAILOVER_HEADERS, rows)
    out += ["", "## Failovers", "",
            "Each override from its apply to its end (revert, replacement or expiry), who "
            "applied and ended it (`unknown`: a receipt signed before actors were recorded).", ""]
    out += _md_table(FAILOVER_HEADERS, failover_cells(section.get("failovers") or []))
    return out


def _md_table(headers: list[str], rows: list[list[Any]]) -> list[str]:
    return ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers),
            *["| " + " | ".join(_md(cell) for cell in row) + " |" for row in rows]]


def _timeline_svg(rows: list[dict[str, Any]]) -> str:
    """Runs as dots on one lane per gate, left to right in time; red fails, green passes."""
    if not rows:
        return "<p>No verified receipts.</p>"
    gates = sorted({r["gate"] for r in rows})
    times = [_dt.datetime.fromisoformat(r["time"].replace("Z", "+00:00")).timestamp()
             for r in rows]
    low, high = min(times), max(times)
    span = (high - low) or 1.0
    left, width, lane = 160, 720, 28
    height = lane * len(gates) + 40
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" role="img" '
             f'aria-label="Timeline of gate runs" viewBox="0 0 {left + width + 20} {height}" '
             f'width="100%">']
    for index, gate in enumerate(gates):
        y = 20 + index * lane
        parts.append(f'<text x="{left - 8}" y="{y + 4}" text-anchor="end" '
                     f'class="lane">{escape(gate)}</text>')
        parts.append(f'<line x1="{left}" y1="{y}" x2="{left + width}" y2="{y}" class="axis"/>')
    for row, stamp in zip(rows, times, strict=True):
        x = left + (stamp - low) / span * width
        y = 20 + gates.index(row["gate"]) * lane
        kind = "pass" if row["passed"] else "fail"
        parts.append(f'<circle cx="{x:.1f}" cy="{y}" r="6" class="{kind}"><title>'
                     f'{escape(row["runKey"])} {kind} {escape(_short(row["commit"]))} '
                     f'{escape(row["signer"])}</title></circle>')
    bottom = height - 8
    parts.append(f'<text x="{left}" y="{bottom}" class="tick">{escape(rows[0]["time"])}</text>')
    parts.append(f'<text x="{left + width}" y="{bottom}" text-anchor="end" class="tick">'
                 f'{escape(rows[-1]["time"])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _table(headers: list[str], rows: list[list[Any]]) -> str:
    if not rows:
        return "<p>None.</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape(str(c))}</td>" for c in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


_STYLE = """body{font:14px/1.4 system-ui,sans-serif;margin:2em;color:#222}
table{border-collapse:collapse;margin:.5em 0 1.5em}td,th{border:1px solid #ccc;padding:3px 8px;
text-align:left}th{background:#f3f3f3}.pass{fill:#2e7d32}.fail{fill:#c62828}.axis{stroke:#bbb}
.lane,.tick{font-size:12px;fill:#444}.bad{color:#c62828;font-weight:600}.ok{color:#2e7d32}"""


def render_html(audit: dict[str, Any]) -> str:
    """One file, no external assets: inline CSS and an inline SVG chart."""
    chain = audit["chain"]
    status = ('<span class="ok">intact</span>' if chain["ok"]
              else '<span class="bad">BROKEN</span>')
    parts = ["<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">",
             "<title>Receipt audit</title>", f"<style>{_STYLE}</style></head><body>",
             "<h1>Receipt audit</h1>",
             f"<p>Generated {escape(audit['generated'])} (today {escape(audit['today'])}). "
             f"{chain['verified']} of {chain['receipts']} receipt(s) verified; chain {status}.</p>"]
    parts += [f'<p class="bad">Warning: {escape(w)}.</p>' for w in chain.get("warnings", [])]
    if chain["problems"]:
        parts.append('<p class="bad">The receipt store does not verify. Only the receipts that '
                     "verified are evidence below; runs behind the problems are missing from the "
                     "timeline and their commits may be listed as unreceipted.</p>")
        parts.append("<h2>Verification problems</h2>")
        parts.append(_table(["receipt", "reason"],
                            [[p["receipt"], p["reason"]] for p in chain["problems"]]))
    parts += ["<h2>Timeline</h2>", _timeline_svg(audit["timeline"])]
    parts.append(_table(["#", "time", "gate", "verdict", "commit", "signer", "run key"],
                        [[r["seq"], r["time"], r["gate"], _verdict(r),
                          _short(r["commit"]) + (" (dirty)" if r.get("dirty") else ""),
                          f"{r['signer']} ({r['keyid']})", r["runKey"]]
                         for r in audit["timeline"]]))
    parts.append("<h2>Failures and what fixed them</h2>")
    parts.append(_table(["run key", "gate", "commit", "rules", "fixed by", "changed"],
                        [[f["runKey"], f["gate"], _short(f["commit"]), ", ".join(f["rules"]),
                          f["fixedBy"]["runKey"] if f["fixedBy"] else "not fixed yet",
                          ", ".join(f["fixedBy"]["changed"]) if f["fixedBy"] else ""]
                         for f in audit["failures"]]))
    parts.append("<h2>Waivers used</h2>")
    parts.append(_table(["rule", "file", "pointer", "owner", "expires", "status", "uses",
                         "reason"],
                        [[w["rule"], w["file"], w["pointer"], w["owner"], w["expires"],
                          w["status"], w["uses"], w["reason"]] for w in audit["waivers"]]))
    parts.append("<h2>Keys</h2>")
    parts.append(_table(["key", "id", "receipts", "first", "last", "revoked"],
                        [[k["name"], k["keyid"], k["receipts"], k["first"] or "-",
                          k["last"] or "-", k["revokedAt"] or "-"] for k in audit["keys"]]))
    parts.append("<h2>Commits without a passing receipt</h2>")
    unreceipted = audit["unreceipted"]
    if not unreceipted["checked"]:
        parts.append(f"<p>Not checked: {escape(unreceipted['reason'])}.</p>")
    else:
        parts.append(_table(["commit", "time", "author", "subject", "files"],
                            [[_short(c["commit"]), c["time"], c["author"], c["subject"],
                              ", ".join(f["path"] for f in c["files"])]
                             for c in unreceipted["commits"]]))
    if "failover" in audit:
        section = audit["failover"]
        chain = section["chain"]
        parts.append("<h2>Failover actions</h2>")
        parts.append(f"<p>From {escape(section['directory'])}: {chain['verified']} of "
                     f"{chain['receipts']} receipt(s) verified; chain "
                     f"{'intact' if chain['ok'] else 'BROKEN'}.</p>")
        parts.append(_table(["receipt", "reason"],
                            [[p["receipt"], p["reason"]] for p in chain["problems"]]))
        parts.append(_table(_FAILOVER_HEADERS, _failover_rows(section)))
        parts.append("<h2>Failovers</h2>")
        parts.append(_table(FAILOVER_HEADERS, failover_cells(section.get("failovers") or [])))
    parts.append("</body></html>\n")
    return "".join(parts)


RENDERERS = {"markdown": render_markdown, "html": render_html, "json": render_json}
