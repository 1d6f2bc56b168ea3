"""Which hook target URLs are acceptable."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


class BadTarget(ValueError):
    pass


def check_target(url: str, *, allow_private: bool) -> None:
    """Raises BadTarget when `url` is not an http(s) URL Backbone may POST to."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadTarget("Must be an http:// or https:// URL.")
    if parts.username or parts.password:
        raise BadTarget("Must not carry a user name or password.")
    if allow_private:
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, parts.port or 443, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise BadTarget(f"Host {parts.hostname!r} does not resolve.") from exc
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise BadTarget("Must point to a public address (private and loopback hosts are refused).")
