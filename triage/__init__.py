"""triage: find the database error that really failed a test run, and the symptoms it explains."""

__version__ = "0.1.0"
