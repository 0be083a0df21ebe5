"""The user-side files every generated repository shares: pytest.ini, conftest, Django app.

These are the *test code* of an imagined project (hand-written, like any user's tests); what the
drivers print when that code runs is what gets captured.
"""

from __future__ import annotations

from harness import APP_ROLE, DB

PYTEST_INI = """
[pytest]
testpaths = tests
pythonpath = .
"""

CONFTEST = f'''
"""Fixtures: one connection per driver to the scratch database."""

import pytest

DSN = "host=127.0.0.1 port=5432 dbname={DB} user=postgres"
URL = "postgresql://postgres@127.0.0.1:5432/{DB}"
APP_DSN = "host=127.0.0.1 port=5432 dbname={DB} user={APP_ROLE}"


@pytest.fixture
def pg2():
    import psycopg2

    conn = psycopg2.connect(DSN)
    conn.autocommit = True
    yield conn
    conn.close()


@pytest.fixture
def pg3():
    import psycopg

    with psycopg.connect(DSN, autocommit=True) as conn:
        yield conn
'''

DJANGO_SETTINGS = f"""
SECRET_KEY = "not-a-secret"
INSTALLED_APPS = ["shop"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
DATABASES = {{
    "default": {{
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "{DB}",
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": "5432",
    }}
}}
"""

DJANGO_SQLITE_SETTINGS = """
SECRET_KEY = "not-a-secret"
INSTALLED_APPS = ["shop"]
USE_TZ = True
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "shop.sqlite3"}}
"""

DJANGO_MODELS = """
from django.db import models


class Team(models.Model):
    name = models.CharField(max_length=40, unique=True)


class Member(models.Model):
    team = models.ForeignKey(Team, on_delete=models.PROTECT)
    email = models.CharField(max_length=20, unique=True)
    nickname = models.CharField(max_length=20)
"""

DJANGO_CONFTEST = '''
"""Standalone Django: settings module, django.setup(), tables created from the models."""

import os

import django
import pytest

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "settings")
django.setup()


@pytest.fixture(scope="session", autouse=True)
def tables():
    from django.db import connection

    from shop.models import Member, Team

    with connection.schema_editor() as editor:
        editor.create_model(Team)
        editor.create_model(Member)
    Team.objects.create(name="core")
    yield
'''


def pg_project(tests: dict[str, str], **extra: str) -> dict[str, str]:
    files = {"pytest.ini": PYTEST_INI, "tests/conftest.py": CONFTEST}
    files.update({f"tests/{name}": src for name, src in tests.items()})
    files.update(extra)
    return files


def django_project(tests: dict[str, str], sqlite: bool = False) -> dict[str, str]:
    files = {
        "pytest.ini": PYTEST_INI,
        "settings.py": DJANGO_SQLITE_SETTINGS if sqlite else DJANGO_SETTINGS,
        "shop/__init__.py": "",
        "shop/models.py": DJANGO_MODELS,
        "tests/conftest.py": DJANGO_CONFTEST,
    }
    files.update({f"tests/{name}": src for name, src in tests.items()})
    return files
