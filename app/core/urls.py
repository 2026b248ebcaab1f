"""Local paths taken from user input (a `next` parameter, a stored link)."""
from __future__ import annotations

from urllib.parse import urlsplit


def is_local_path(link: str | None) -> bool:
    """Only a path on this site: "/applications/12", never "//evil.example", "/\\evil"
    (browsers read it as "//evil"), "https://…", nor anything with control characters — a
    line break in a Location header is refused by Werkzeug (a 500)."""
    if not isinstance(link, str) or not link.startswith("/") or link.startswith("//"):
        return False
    if "\\" in link or any(ord(c) < 32 or ord(c) == 127 for c in link):
        return False
    parts = urlsplit(link)
    return not parts.scheme and not parts.netloc


def safe_next(target: str | None, default: str) -> str:
    """`target` when it is a local path, else `default`."""
    return target if is_local_path(target) else default
