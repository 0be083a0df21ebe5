"""Redaction: secrets in log text (DSN passwords, bearer tokens, JWTs, API keys) masked before a
report leaves the building.

Each rule is a cheap literal test first, then a regex on the lines that pass it; the replacement
keeps what helps a reader (the user name in a DSN, the header name) and masks the secret itself.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

MASK = "[REDACTED]"

# postgres://user:secret@host/db (and any scheme://user:password@): keep the user, hide the password.
_DSN = re.compile(r"(?P<head>\b[a-zA-Z][\w+.-]*://[^\s:/@'\"]*:)(?P<secret>[^\s@/'\"]+)(?=@)")
# libpq keyword DSN "password=secret" and JDBC/ODBC "Password=secret;".
_KV_PASSWORD = re.compile(
    r"(?P<head>\b(?:password|passwd|pwd|secret|client_secret|token|access_token|refresh_token)"
    r"\s*[=:]\s*['\"]?)"
    # "invalid password: password authentication failed" is a message, not a secret
    r"(?!(?:password|authentication|auth|for|is|was|must|required|missing|expired|invalid)\b)"
    r"(?P<secret>[^\s'\";&,}]+)",
    re.IGNORECASE,
)
# JSON-ish "password": "secret", "apikey": "…", "authorization": "…".
_JSON_SECRET = re.compile(
    r"(?P<head>[\"'](?:password|passwd|pwd|secret|client_secret|api[_-]?key|apikey|access_token|"
    r"refresh_token|token|authorization|service_role_key|x-api-key)[\"']\s*:\s*[\"'])"
    r"(?P<secret>[^\"']+)",
    re.IGNORECASE,
)
# Authorization: Bearer xxx / Basic xxx (header lines, curl -H, logged header dicts).
_AUTH = re.compile(
    r"(?P<head>\b(?:authorization|proxy-authorization)\b[\"']?\s*[:=]\s*[\"']?"
    r"(?:bearer|basic|token|digest)?\s*)(?P<secret>[^\s\"',;}]+)",
    re.IGNORECASE,
)
_BEARER = re.compile(r"(?P<head>\bBearer\s+)(?P<secret>[A-Za-z0-9._~+/=-]{8,})", re.IGNORECASE)
# apikey: xxx / x-api-key: xxx / api_key=xxx (Supabase sends the anon or service key as apikey).
_APIKEY = re.compile(
    r"(?P<head>\b(?:x-)?api[_-]?key\b[\"']?\s*[:=]\s*[\"']?)(?P<secret>[^\s\"',;}&]+)",
    re.IGNORECASE,
)
# A JWT anywhere: three base64url parts, the first decoding to a JSON header ("eyJ").
_JWT = re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}")
# Supabase's newer secret / publishable keys and common provider tokens.
_TOKENS = re.compile(
    r"\b(?:sb_secret_[A-Za-z0-9_-]{10,}|sbp_[A-Za-z0-9]{20,}|ghp_[A-Za-z0-9]{20,}|"
    r"github_pat_[A-Za-z0-9_]{20,}|xox[abp]-[A-Za-z0-9-]{10,}|sk_live_[A-Za-z0-9]{10,}|"
    r"AKIA[0-9A-Z]{16})"
)
# SUPABASE_SERVICE_ROLE_KEY=… / SERVICE_KEY=… in environment dumps.
_ENV_KEY = re.compile(
    r"(?P<head>\b[A-Z0-9_]*(?:SERVICE_ROLE_KEY|SERVICE_KEY|SECRET_KEY|API_KEY|JWT_SECRET|"
    r"PASSWORD|TOKEN)\s*[=:]\s*['\"]?)(?P<secret>[^\s'\"]+)"
)


def _keep_head(m: re.Match[str]) -> str:
    return m.group("head") + MASK


# (literal any of which must be in the lowered text, regex, replacement)
_RULES: tuple[
    tuple[tuple[str, ...], re.Pattern[str], Callable[[re.Match[str]], str] | str], ...
] = (
    (("://",), _DSN, _keep_head),
    (("eyj",), _JWT, MASK),
    (("bearer",), _BEARER, _keep_head),
    (("authorization",), _AUTH, _keep_head),
    (("apikey", "api_key", "api-key"), _APIKEY, _keep_head),
    (
        ("password", "passwd", "pwd", "secret", "token", "apikey", "api_key", "api-key", "auth"),
        _JSON_SECRET,
        _keep_head,
    ),
    (("password", "passwd", "pwd", "secret", "token"), _KV_PASSWORD, _keep_head),
    (("key", "password", "token", "secret"), _ENV_KEY, _keep_head),
    (("sb_", "sbp_", "ghp_", "github_pat_", "xox", "sk_live_", "akia"), _TOKENS, MASK),
)


# Every literal of every rule: most report strings hold none of them and skip the rule loop.
_ANY_LITERAL = tuple(dict.fromkeys(lit for literals, _, _ in _RULES for lit in literals))


def redact(text: str) -> str:
    """The text with every secret the rules recognise replaced by [REDACTED]."""
    if not text:
        return text
    lowered = text.lower()
    for lit in _ANY_LITERAL:
        if lit in lowered:
            break
    else:
        return text
    for literals, regex, repl in _RULES:
        if any(lit in lowered for lit in literals):
            text = regex.sub(repl, text)
            lowered = text.lower()
    return text


def redact_data(value: Any) -> Any:
    """The JSON-like value with every string redacted (dict keys kept as they are). A dict, list
    or tuple that holds no secret is returned as it is, not copied: a report listing 100,000
    failures is not held twice (nor is a structure the report shares with the catalog changed)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, dict):
        changed = _changed(value.items())
        return {**value, **changed} if changed else value
    if isinstance(value, list | tuple):
        changed = _changed(enumerate(value))
        return [changed.get(i, v) for i, v in enumerate(value)] if changed else value
    return value


def _changed(items: Iterable[tuple[Any, Any]]) -> dict[Any, Any]:
    """The values that redacting changed, by key or index."""
    out = {}
    for k, v in items:
        r = redact_data(v)
        if r is not v:
            out[k] = r
    return out
