"""The one error channel: core code raises TriageError; the CLI prints it as one line, exit 2."""


class TriageError(Exception):
    """A problem the user can act on; the message names the file (and line) concerned."""


class InputError(TriageError):
    """An input path that cannot be read at all (missing, unreadable, not a file or directory)."""


class CatalogError(TriageError):
    """A pattern file that cannot be loaded."""
