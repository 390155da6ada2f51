from __future__ import annotations

from urllib.parse import urlsplit


def safe_next(target: str | None) -> str | None:
    """Only same-site relative paths: no open redirects through ?next=."""
    if not target:
        return None
    parts = urlsplit(target)
    # a backslash or a control character: browsers read `/\\host` as `//host`
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target \
            or any(ord(c) < 32 for c in target):
        return None
    return target
