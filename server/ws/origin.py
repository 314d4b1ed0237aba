"""Which WebSocket handshakes are admitted: bots (no Origin), same-origin browsers, and the origins
CORS_ALLOWED_ORIGINS names. A page on a foreign origin cannot open a socket with a user's cookies."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return None


def handshake_allowed(scope: dict[str, Any]) -> bool:
    host = _header(scope, b"host") or ""
    domain, _port = split_domain_port(host)
    if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
        return False
    origin = _header(scope, b"origin")
    if origin is None:
        return True  # a bot or script: no browser, no ambient credentials to abuse
    if origin in settings.CORS_ALLOWED_ORIGINS:
        return True
    return urlsplit(origin).netloc.lower() == host.lower()
