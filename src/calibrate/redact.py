"""Remove secrets from configuration before it is written to any output (the manifest, messages).

* a URL's password: ``postgresql://hr:s3cret@db/x`` -> ``postgresql://hr:***@db/x``;
* secret query parameters (``password``, ``token``, ``secret``, ``key``, ...) -> ``***``;
* the value of any mapping key that names a secret (``password: ...``, ``api_token: ...``).

>>> redact_url("postgresql://hr:s3cret@db.example/people?sslmode=require&password=x")
'postgresql://hr:***@db.example/people?sslmode=require&password=***'
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

MASK = "***"
_SECRET = re.compile(
    r"pass(word)?|pwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|credential|^key$"
    r"|auth",
    re.IGNORECASE,
)


def is_secret_name(name: str) -> bool:
    return bool(_SECRET.search(str(name)))


def redact_url(url: str) -> str:
    """The URL with its password and secret query parameters masked; other text unchanged."""
    if "://" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return MASK
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:{MASK}@{host}" if ":" in userinfo else f"{user}@{host}"
    query = parts.query
    if query:
        pairs = parse_qsl(query, keep_blank_values=True)
        query = urlencode([(k, MASK if is_secret_name(k) else v) for k, v in pairs], safe="*")
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


def redact_config(value: Any) -> Any:
    """A copy of a config tree with every secret masked (see the module docstring)."""
    if isinstance(value, dict):
        return {
            k: (MASK if is_secret_name(k) and isinstance(v, (str, int, float)) else redact_config(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact_config(v) for v in value]
    if isinstance(value, str):
        return redact_url(value)
    return value
