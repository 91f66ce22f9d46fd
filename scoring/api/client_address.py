"""The client's address behind the reverse proxy.

gunicorn sets ``REMOTE_ADDR`` to the address of whoever opened the connection: behind nginx
that is nginx, for every client, and the failed-API-key limit (counted per ``REMOTE_ADDR``,
``registry.api_keys``) would then lock every loan system out because of one. When the
connection comes from a proxy in ``KREDITAX_TRUSTED_PROXIES`` (addresses or networks), the
client's address is taken from the ``X-Real-IP`` header that proxy sets
(``deploy/nginx/kreditax.conf`` overwrites whatever a client sent). From anywhere else, or
with a header that is not one address, ``REMOTE_ADDR`` stays as it is.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@lru_cache(maxsize=8)
def _networks(entries: tuple[str, ...]) -> tuple[Network, ...]:
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in entries)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def client_address(*, remote_addr: str, real_ip: str | None) -> str:
    """``real_ip`` when ``remote_addr`` is a trusted proxy and ``real_ip`` one address; else
    ``remote_addr``."""
    proxy = _address(remote_addr)
    if proxy is None or real_ip is None:
        return remote_addr
    networks = _networks(tuple(settings.KREDITAX_TRUSTED_PROXIES))
    if not any(proxy in network for network in networks):
        return remote_addr
    client = _address(real_ip)
    return str(client) if client is not None else remote_addr


class ClientAddressMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request.META["REMOTE_ADDR"] = client_address(
            remote_addr=request.META.get("REMOTE_ADDR", ""),
            real_ip=request.META.get("HTTP_X_REAL_IP"),
        )
        return self.get_response(request)
