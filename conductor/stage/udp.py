"""The UDP socket the OSC receiver and OSC learn listen on."""

from __future__ import annotations

import socket

from conductor.stage.view import StageError


def bind_udp(host: str, port: int) -> socket.socket:
    """A UDP socket bound to `host:port` (IPv6 when the host is an IPv6 address; port 0: any free one).
    Raises StageError naming the address and what to change."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        sock.bind((host, port))
    except (OSError, OverflowError) as exc:
        sock.close()
        reason = getattr(exc, "strerror", None) or exc
        raise StageError(
            f"cannot receive OSC on {host}:{port}: {reason} — choose another port or host"
        ) from exc
    return sock
