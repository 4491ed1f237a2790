"""Who may use the stage page: addresses, the token, and the checks every request passes.

The rule (docs/stage.md): the page binds to 127.0.0.1 unless told otherwise; any other address needs
an explicit opt-in and then a random token, printed on the performer's terminal and required on every
request and websocket (compared in constant time), so a phone on the venue's Wi-Fi cannot press
panic. On every bind a request that a browser made from another site's page (its Origin is not this
server) is refused, and on a loopback bind so is a request naming a host that is not loopback (a web
page turning a DNS name towards 127.0.0.1).

Pure functions: no I/O, safe from any thread.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from urllib.parse import urlsplit

TOKEN_PARAM = "token"  # ?token=... on the page's address
TOKEN_HEADER = "X-Conductor-Token"
TOKEN_COOKIE = "conductor_token"


def parse_bind(text: str, default_port: int, what: str = "--web") -> tuple[str, int]:
    """(host, port) from 'HOST:PORT', 'HOST', ':PORT', 'PORT' or '[::1]:PORT'; host 127.0.0.1 when
    not given. Raises ValueError naming `what` and the expected form."""
    text = text.strip()
    host, port_text = text, ""
    if text.startswith("["):
        host, _, rest = text[1:].partition("]")
        port_text = rest.removeprefix(":")
    elif text.isdigit():
        host, port_text = "", text
    elif text.count(":") == 1:
        host, port_text = text.split(":")
    port = default_port
    if port_text:
        if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
            raise ValueError(f"{what} {text!r}: the port must be a number 0..65535 (e.g. 127.0.0.1:8765)")
        port = int(port_text)
    return host or "127.0.0.1", port


def is_loopback(host: str) -> bool:
    """True for localhost and the loopback addresses (127.0.0.0/8, ::1); any other name is not."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    """A random token (128 bits, URL-safe)."""
    return secrets.token_urlsafe(16)


def token_matches(expected: str, given: str | None) -> bool:
    """Whether `given` is `expected`, compared in constant time."""
    return given is not None and hmac.compare_digest(expected.encode(), given.encode())


def host_name(host_header: str) -> str:
    """The host part of a Host header ('127.0.0.1:8765' → '127.0.0.1', '[::1]:80' → '::1')."""
    return urlsplit(f"//{host_header}").hostname or ""


def refusal(
    *,
    host_header: str,
    origin: str | None,
    loopback_bind: bool,
    token: str | None,
    given: tuple[str | None, ...],
) -> str | None:
    """Why a request is refused, or None to let it through. `token`: the token this server requires
    (None: none); `given`: the tokens the request carries (query, header, cookie), any may match."""
    if origin is not None and urlsplit(origin).netloc != host_header:  # "null" (a sandboxed page) too
        return f"a page from {origin} may not use this stage (only the stage's own page may)"
    if loopback_bind and not is_loopback(host_name(host_header)):
        return f"host {host_header!r} is not this machine's loopback address"
    if token is not None and not any(token_matches(token, g) for g in given):
        return "this stage needs the token printed on the performer's terminal (open the address shown there)"
    return None
