#!/usr/bin/env bash
# Regenerate every node-side sample from scratch: install from the lockfile, recreate the
# scratch databases, run the capture scripts, normalise paths, sanity-check the results.
# Needs node 20, npm, and PostgreSQL on 127.0.0.1:5432 (trust auth, user postgres).
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund --loglevel=error
exec node generate.mjs "$@"
