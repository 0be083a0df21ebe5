"""Evidence for and against a cause from the schema linkage: the constraint's ON DELETE rule,
what covers an ON CONFLICT target, and a migration that drops the constraint."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from triage.hypotheses import Facts


def _ddl(text: str, strength: str, d: dict[str, Any] | None) -> dict[str, Any]:
    """One piece of evidence quoting a definition from the migrations (or quoting nothing)."""
    return {
        "text": text,
        "strength": strength,
        "path": d["path"] if d else None,
        "line": d["line"] if d else None,
        "quote": d["ddl"] if d else None,
    }


def on_delete(f: Facts, pro: list[dict[str, Any]], con: list[dict[str, Any]]) -> None:
    """A delete happened: the constraint's ON DELETE rule is context for the cleanup causes."""
    link = f.link or {}
    rule = link.get("on_delete")
    c = link.get("constraint")
    if rule and c and f.deleted:
        pro.append(
            _ddl(f"the constraint is ON DELETE {rule['action']} ({rule['meaning']})", "context", c)
        )


def schema_evidence(
    tag: str, f: Facts, pro: list[dict[str, Any]], con: list[dict[str, Any]]
) -> None:
    """For the schema-missing / schema-mismatch causes: what the migrations define."""
    link = f.link
    if not link:
        return
    oc = link.get("on_conflict")
    if oc is not None:
        cols = ", ".join(oc["columns"])
        if tag == "schema-missing":
            if oc["covered_by"]:
                d = oc["covered_by"][0]
                pro.append(
                    _ddl(
                        f"the migrations define {d['name']} on ({cols}): the test database did not apply it",
                        "direct",
                        d,
                    )
                )
            else:
                pro.append(
                    _ddl(
                        f"no migration defines a unique constraint or index on exactly ({cols})",
                        "inference",
                        None,
                    )
                )
        else:
            for d in oc["partial_only"][:1]:
                pro.append(
                    _ddl(
                        f"{d['name']} covers ({cols}) only WHERE ...: ON CONFLICT needs the same predicate",
                        "direct",
                        d,
                    )
                )
            if not oc["unique_on_table"]:
                con.append(
                    _ddl(
                        f"no unique constraint of any shape is defined on {oc['table']}",
                        "inference",
                        None,
                    )
                )
        return
    dropped = link.get("dropped")
    if tag == "schema-missing" and dropped:
        pro.append(_ddl(f"a migration drops {dropped['name']}", "direct", dropped))
