"""The catalog: loading, the SQLSTATE fallback, matching captured errors, the local knowledge base."""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import pytest

from triage import sqlstate
from triage.catalog import builtin_dir, find_local_dir, load_catalog, load_dir
from triage.catalog_lint import errors_in_text
from triage.errors import CatalogError
from triage.model import DbError, Location

FIXTURES = Path(__file__).parent / "fixtures" / "catalog"
KB = FIXTURES / "kb"
BUILTIN = load_catalog(cwd="/")


def example(pattern_id: str, name: str) -> str:
    pattern = BUILTIN.get(pattern_id)
    assert pattern is not None
    return next(ex.text for ex in pattern.examples if ex.name == name)


def root_error(text: str) -> DbError:
    errors = errors_in_text(text)
    assert errors
    return errors[-1]


def test_builtin_catalog_loads_every_file_with_its_file_name_as_id() -> None:
    files = sorted(p.stem for p in Path(builtin_dir()).glob("*.toml"))
    assert sorted(p.id for p in BUILTIN.patterns) == files
    assert len(files) >= 40
    fk = BUILTIN.get("23503-foreign-key-violation")
    assert fk is not None and fk.sqlstates == ("23503",)
    assert "foreign_key_violation" in fk.conditions  # derived from the SQLSTATE
    assert fk.causes[0].weight >= fk.causes[-1].weight and fk.docs and not fk.local


@pytest.mark.parametrize("code", [c.sqlstate for c in sqlstate.all_codes()])
def test_every_sqlstate_resolves_to_condition_class_and_meaning(code: str) -> None:
    err = DbError("postgresql", code, None, "message in another language", Location("x.log", 1))
    match = BUILTIN.match(err)
    assert match is not None
    known = sqlstate.lookup(code)
    assert known is not None and known.condition
    assert sqlstate.class_title(code)
    if match.generic:
        assert known.condition in match.pattern.title
        assert (
            sqlstate.class_meaning(code) or sqlstate.class_title(code)
        ) in match.pattern.explanation
    else:
        assert code in match.pattern.sqlstates


def test_72000_snapshot_too_old_is_known() -> None:
    err = DbError("postgresql", "72000", None, "snapshot too old", Location("x.log", 1))
    match = BUILTIN.match(err)
    assert match is not None and match.generic and match.pattern.id == "72000-snapshot-too-old"


def test_fk_insert_and_delete_are_told_apart_and_fixes_use_captured_names() -> None:
    insert = BUILTIN.match(root_error(example("23503-foreign-key-violation", "psql-insert-uuid")))
    delete = BUILTIN.match(root_error(example("23503-foreign-key-violation-delete", "psql-delete")))
    assert insert is not None and delete is not None
    assert insert.pattern.id == "23503-foreign-key-violation"
    assert delete.pattern.id == "23503-foreign-key-violation-delete"
    assert "Create the courses row before writing job_status" in insert.fixes[0]
    assert "job_status_course_id_fkey" in insert.fixes[1]
    assert "A row in job_status" in insert.pattern.explanation  # prose placeholders filled
    assert delete.captured["parent_table"] == "orgs"
    assert delete.fixes[0].startswith("Delete from users before deleting from orgs")
    # the cascade names the child's column (from users_org_id_fkey), not the parent's key (id)
    assert "FOREIGN KEY (org_id) REFERENCES orgs (id) ON DELETE CASCADE" in delete.fixes[1]


def test_missing_placeholder_stays_readable() -> None:
    match = BUILTIN.match(root_error(example("42P10-on-conflict-no-unique-constraint", "psql")))
    assert match is not None
    assert "ALTER TABLE <table> ADD CONSTRAINT" in match.fixes[0]


def test_on_conflict_fix_names_the_conflict_columns_from_the_statement() -> None:
    err = root_error(example("42P10-on-conflict-no-unique-constraint", "sqlalchemy-traceback"))
    match = BUILTIN.match(err)
    assert match is not None
    assert "ALTER TABLE users ADD CONSTRAINT users_org_id_key UNIQUE (org_id);" in match.fixes[0]


def test_rls_versus_grant_and_statement_timeout_versus_cancel() -> None:
    pairs = [
        ("42501-row-level-security", "psql-insert"),
        ("42501-insufficient-privilege", "psql"),
        ("57014-statement-timeout", "psql"),
        ("57014-query-canceled", "psycopg2-cancel"),
        ("22P02-invalid-uuid", "psql"),
        ("22P02-invalid-enum-value", "psql"),
    ]
    for pattern_id, name in pairs:
        match = BUILTIN.match(root_error(example(pattern_id, name)))
        assert match is not None and match.pattern.id == pattern_id


def test_supabase_signup_trigger_names_the_trigger_and_profile_table() -> None:
    match = BUILTIN.match(
        root_error(example("supabase-auth-signup-trigger", "psql-trigger-not-null"))
    )
    assert match is not None and match.pattern.id == "supabase-auth-signup-trigger"
    assert match.fixes[0].startswith(
        "Make handle_new_user robust: schema-qualify (public.profiles)"
    )
    # what a NOT NULL violation means comes from the code's own entry, after the trigger's advice
    causes = [c.text for c in match.pattern.causes]
    assert causes[0].startswith("The trigger reads a field from raw_user_meta_data")
    assert any(c.startswith("A migration added a NOT NULL column") for c in causes)
    assert any("profiles" in fix for fix in match.fixes[1:])


def test_sqlite_errors_map_onto_the_same_conditions() -> None:
    fk = BUILTIN.match(root_error(example("23503-sqlite-foreign-key", "sqlite3-traceback")))
    unique = BUILTIN.match(root_error(example("23505-unique-violation", "sqlite3-traceback")))
    assert fk is not None and fk.pattern.id == "23503-sqlite-foreign-key"
    assert unique is not None and unique.pattern.id == "23505-unique-violation"


def test_condition_without_sqlstate_matches_vendor_entries() -> None:
    loc = Location("x.log", 1)
    pgrst = DbError("postgresql", None, "pgrst116_singular_response", "Cannot coerce", loc)
    prisma = DbError("postgresql", None, "record_not_found", "No record was found", loc)
    assert BUILTIN.match(pgrst).pattern.id == "PGRST116-single-row-expected"  # type: ignore[union-attr]
    assert BUILTIN.match(prisma).pattern.id == "P2025-record-not-found"  # type: ignore[union-attr]
    assert BUILTIN.match(DbError("postgresql", None, None, "?", loc)) is None


def test_local_knowledge_base_found_from_cwd_wins_and_borrows_the_builtin_text() -> None:
    sub = KB / "sub"
    assert find_local_dir(str(sub)) == str(KB / ".triage" / "patterns")
    catalog = load_catalog(cwd=str(sub))
    match = catalog.match(root_error(example("23503-foreign-key-violation", "psql-insert-uuid")))
    assert match is not None and not match.generic
    p = match.pattern
    assert (p.id, p.local, p.known_issue, p.owner) == (
        "job-status-course-fk",
        True,
        "OPS-1234",
        "@data-platform",
    )
    assert p.causes[0].text.startswith("The import_courses fixture")  # its own cause first
    assert "foreign key columns" in p.explanation  # explanation borrowed from the built-in
    assert match.fixes[0].endswith("the patch to job_status.")
    other = catalog.match(root_error(example("23503-foreign-key-violation", "psql-insert")))
    assert other is not None and other.pattern.id == "23503-foreign-key-violation"


def test_local_glob_on_table_matches_any_code() -> None:
    catalog = load_catalog([str(KB / ".triage" / "patterns")], cwd="/")
    captured = root_error(example("23505-unique-violation", "psql"))
    on_audit = dataclasses.replace(captured, table="audit_events")
    match = catalog.match(on_audit)
    assert match is not None and match.pattern.id == "audit-tables"
    assert match.pattern.verdict == "known benign race in test cleanup"
    assert match.pattern.title.startswith("Audit tables")
    assert catalog.match(captured).pattern.id == "23505-unique-violation"  # type: ignore[union-attr]


def test_did_you_mean_over_local_names_and_ids() -> None:
    catalog = load_catalog([str(KB / ".triage" / "patterns")], cwd="/")
    assert catalog.did_you_mean("job_status_course_fkey")[0] == "job_status_course_id_fkey"
    assert "23505-unique-violation" in catalog.did_you_mean("23505-unique-violaton", ids=True)
    # a constraint or table from a log is compared with names only: a pattern id is not a table
    assert catalog.did_you_mean("23505-unique-violaton") == []
    assert catalog.did_you_mean("zzzzqqqq") == []


def test_did_you_mean_without_local_names_offers_none_and_imports_no_fuzzy_matcher() -> None:
    """The built-in catalog alone (most analyses) has no names to offer: the answer is empty
    and rapidfuzz is not imported for it (start-up time of every analysis with a finding)."""
    code = (
        "import sys\n"
        "from triage.catalog import load_catalog\n"
        "catalog = load_catalog(cwd='/')\n"
        "print(catalog.did_you_mean('users_email_key'), 'rapidfuzz' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["[]", "False"]


def test_extra_dir_with_a_broken_file_names_the_file_and_key(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('title = "x"\nsqlstates = ["99999"]\n')
    with pytest.raises(
        CatalogError, match=r"bad\.toml: sqlstates\[0\]: '99999' is not a known SQLSTATE"
    ):
        load_catalog([str(tmp_path)], cwd="/")
    (tmp_path / "bad.toml").write_text("title = \n")
    with pytest.raises(CatalogError, match=r"bad\.toml: not valid TOML"):
        load_dir(str(tmp_path))


def test_readme_example_is_the_sample_knowledge_base_entry() -> None:
    import re
    import tomllib

    readme = (Path(builtin_dir()) / "README.md").read_text(encoding="utf-8")
    block = re.search(r"```toml\n(.*?)```", readme, re.S)
    assert block is not None
    shipped = (KB / ".triage" / "patterns" / "job-status-course-fk.toml").read_text(
        encoding="utf-8"
    )
    ours = tomllib.loads(block.group(1))
    ours["match"] = {"constraint": ours["match"]["constraint"]}
    assert ours == tomllib.loads(shipped)
