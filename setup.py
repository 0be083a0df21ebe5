"""Only the optional native scanner lives here; everything else is in pyproject.toml.

``optional=True``: without a C compiler the install still succeeds and triage uses the
pure-Python scanner (same results, slower on big inputs).
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "triage._linescan",
            ["triage/_linescan.c"],
            optional=True,
            extra_compile_args=["-O3"],
        )
    ]
)
