"""The terminal view (rich): roots first, what each explains, where the evidence is."""

from __future__ import annotations

from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table

from triage.investigation import unexplained_groups
from triage.views import by_id

MAX_GROUPS = 20  # groups of unexplained failures shown; the rest are counted


def print_report(data: dict[str, Any], output: str | None = None) -> None:
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            _print(Console(file=fh, width=100, no_color=True), data)
    else:
        _print(Console(), data)


def _print(con: Console, data: dict[str, Any]) -> None:
    s = data["summary"]
    claim = data.get("claim")
    failures = by_id(data["failures"])
    if data.get("summary_text"):
        con.print(Panel(escape(data["summary_text"]), title="Summary", title_align="left"))
    # errors that explain no failure are logged errors, not root causes
    what = "root cause(s)" if s["explained"] or claim else "database error(s) logged"
    head = (
        f"[bold]{s['findings']}[/] {what}, {s['explained']}/{s['failures']} failure(s) explained"
        + (f", {s['cascades']} cascade(s)" if s["cascades"] else "")
        + (f", {s['recovered']} recovered warning(s)" if s["recovered"] else "")
    )
    con.print(head)
    if claim:
        colour = {"supported": "green", "contradicted": "red"}.get(claim["verdict"], "yellow")
        con.print(f"claim [bold {colour}]{claim['verdict']}[/]: {escape(claim['reason'])}")
    for f in data["findings"]:
        body = Table.grid(padding=(0, 1))
        body.add_column(style="dim")
        body.add_column()
        body.add_row("sqlstate", escape(f"{f['sqlstate'] or '-'} {f['condition'] or ''}"))
        for key in ("constraint", "table", "column", "referenced_table", "trigger"):
            if f.get(key):
                body.add_row(key.replace("_", " "), escape(str(f[key])))
        if f["key"]:
            body.add_row("key", escape(", ".join(f"{k}={v}" for k, v in f["key"].items())))
        body.add_row("message", escape(f["message"].splitlines()[0] if f["message"] else ""))
        body.add_row(
            "seen", escape(f"{f['occurrences']}x, first {f['first']['path']}:{f['first']['line']}")
        )
        for fid in f["explains"][:8]:
            fail = failures.get(fid)
            if fail is None:
                continue
            body.add_row(
                "explains",
                escape(f"{fail['id']} {fail['test'] or fail['kind']}: {_one(fail['message'])}"),
            )
        if len(f["explains"]) > 8:
            body.add_row("", f"… and {len(f['explains']) - 8} more")
        steps = [e for ch in f.get("evidence_chains", []) for e in ch["steps"]]
        for hop in steps[:6]:
            text = "(the line above)" if hop["repeat"] else _one(hop["text"])
            body.add_row(
                hop["role"] if f["explains"] else "logged",
                escape(f"{hop['path']}:{hop['line']}  {text}"),
            )
        same = sum(len(ch["same"]) for ch in f.get("evidence_chains", []))
        if len(steps) > 6 or same:
            body.add_row("", f"… {max(len(steps) - 6, 0) + same} more alike")
        lc = f.get("lifecycle")
        if lc:
            for m in lc["mentions"][:10]:
                where = f"{m['path']}:{m['line']}"
                said = _one(m.get("said") or m["text"])
                body.add_row("lifecycle", escape(f"{where} {m['action']}: {said}"))
            if len(lc["mentions"]) > 10 or lc["omitted"]:
                more = len(lc["mentions"]) - 10 + lc["omitted"]
                body.add_row("", f"… {max(more, 0)} more mentions")
        for h in f.get("hypotheses", [])[:3]:
            body.add_row(f"cause #{h['rank']}", escape(f"[{h['verdict']}] {_one(h['text'])}"))
            for e in h["for"][:1]:
                body.add_row("", f"[dim]for: {escape(_one(e['text']))}[/]")
            for e in h["against"][:1]:
                body.add_row("", f"[dim]against: {escape(_one(e['text']))}[/]")
        sl = f.get("schema_linkage")
        if sl and sl.get("constraint"):
            c = sl["constraint"]
            body.add_row("defined", escape(f"{c['path']}:{c['line']}  {_one(c['ddl'])}"))
        if sl and sl.get("on_conflict"):
            oc = sl["on_conflict"]
            cover = ", ".join(d["name"] for d in oc["covered_by"]) or "nothing in the migrations"
            body.add_row("on conflict", escape(f"({', '.join(oc['columns'])}) covered by {cover}"))
        for fix in f["fixes"][:2]:
            body.add_row("fix", escape(fix))
        if f.get("known_issue"):
            body.add_row("known issue", escape(str(f["known_issue"])))
        linked = f" (linked by {f['scope']})" if f.get("scope") else ""
        body.add_row("confidence", escape(f"{f['confidence']}{linked}"))
        title = f"{f['id']} [bold]{escape(f['title'])}[/]"
        con.print(
            Panel(
                body,
                title=title,
                title_align="left",
                border_style="red" if f["explains"] else "yellow",
            )
        )
    groups = unexplained_groups(data["failures"], data["unexplained"])
    if groups["groups"]:
        con.print("[bold]Unexplained failures[/] (no database cause found)")
        shown = groups["groups"][:MAX_GROUPS]
        for g in shown:
            first = g["failures"][0]
            where = f"[dim]{escape(first['location']['path'])}:{first['location']['line']}[/]"
            if g["count"] == 1:
                name = escape(first["test"] or g["kind"])
                con.print(f"  {first['id']} {name} {where} {escape(_one(first['message']))}")
                continue
            last = g["last"]
            alike = "" if g["same"] else "like "
            con.print(
                f"  {g['count']}x {g['kind']} {alike}{escape(_one(g['message']))}: "
                f"{first['id']} {where} … {last['id']} "
                f"[dim]{escape(last['location']['path'])}:{last['location']['line']}[/]"
            )
        more = len(groups["groups"]) - len(shown) + groups["omitted"]
        if more:
            con.print(f"  … and {more} more groups (--format json lists every failure)")
    for r in data.get("recovered", [])[:10]:
        con.print(f"[dim]recovered: {escape(r['path'])}:{r['line']} {escape(_one(r['text']))}[/]")
    for i in data["inputs"]:
        skipped = ", ".join(f"{k} {v}" for k, v in i["skipped"].items())
        con.print(
            f"[dim]{escape(i['path'])}: {', '.join(i['formats']) or 'no known format'}, "
            f"{i['lines']} lines, {i['events']} event{'' if i['events'] == 1 else 's'}"
            f"{'; skipped ' + skipped if skipped else ''}[/]"
        )


def _one(text: str | None) -> str:
    text = (text or "").strip()
    return text.split("\n")[0][:160] if text else ""
