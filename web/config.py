"""What `mastery serve` needs to know, read once from its options and the environment, and checked.

Ingest is refused to everyone unless a bearer token (MASTERY_INGEST_TOKEN) or signing keys (MASTERY_JWKS)
are set; reads need MASTERY_READ_TOKEN whenever the server listens beyond loopback (and whenever it is set).
Lists (accepted JWT issuers and audiences, accepted root accounts, extra Host names) come from repeatable
options or, when none is given, from a comma-separated environment variable.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass

from projections.session import Settings

MAX_BODY = 1 << 20  # Canvas sends one event per request; a few KiB each
BODY_TIMEOUT = 30.0  # seconds a request body may take to arrive
ENV_LISTS = {
    "jwt_issuers": "MASTERY_JWT_ISSUER",
    "jwt_audiences": "MASTERY_JWT_AUDIENCE",
    "accept_accounts": "MASTERY_ACCEPT_ACCOUNT",
    "allowed_hosts": "MASTERY_ALLOWED_HOST",
}


@dataclass(frozen=True)
class ServeConfig:
    """The store settings of the command line plus the server's own."""

    settings: Settings
    host: str = "127.0.0.1"
    ingest_token: str | None = None
    read_token: str | None = None
    jwks: str | None = None
    max_body: int = MAX_BODY
    jwt_issuers: tuple[str, ...] = ()  # accepted `iss` of signed deliveries (any when empty)
    jwt_audiences: tuple[str, ...] = ()  # accepted `aud` of signed deliveries (not checked when empty)
    accept_accounts: tuple[str, ...] = ()  # root accounts whose events are kept (all when empty)
    allowed_hosts: tuple[str, ...] = ()  # Host names answered on loopback besides localhost and its IPs
    body_timeout: float = BODY_TIMEOUT

    @classmethod
    def from_env(
        cls,
        settings: Settings,
        host: str,
        env: Mapping[str, str] | None = None,
        max_body: int | None = None,
        lists: Mapping[str, tuple[str, ...]] | None = None,
    ) -> ServeConfig:
        """The configuration of options and environment; `lists` are the repeatable options by field name."""
        env = os.environ if env is None else env
        lists = lists or {}
        chosen = {
            name: tuple(v.strip() for v in lists.get(name) or env.get(var, "").split(",") if v.strip())
            for name, var in ENV_LISTS.items()
        }
        return cls(
            settings,
            host,
            env.get("MASTERY_INGEST_TOKEN") or None,
            env.get("MASTERY_READ_TOKEN") or None,
            env.get("MASTERY_JWKS") or None,
            max_body or int(env.get("MASTERY_MAX_BODY") or MAX_BODY),
            jwt_issuers=chosen["jwt_issuers"],
            jwt_audiences=chosen["jwt_audiences"],
            accept_accounts=chosen["accept_accounts"],
            allowed_hosts=chosen["allowed_hosts"],
        )

    @property
    def loopback(self) -> bool:
        return is_loopback(self.host)

    def problems(self) -> list[str]:
        """Why the server must not start with this configuration (empty when it may)."""
        found = []
        if not self.ingest_token and not self.jwks:
            found.append(
                "nobody could deliver events: set MASTERY_INGEST_TOKEN (a bearer token) "
                "and/or MASTERY_JWKS (a JWKS file or URL for Canvas's signed payloads)"
            )
        if not self.loopback and not self.read_token:
            found.append(
                f"--host {self.host} is reachable beyond this machine: set MASTERY_READ_TOKEN so that reads need it"
            )
        if self.max_body < 1024:
            found.append("the body size limit must be at least 1024 bytes")
        return found


def is_loopback(host: str) -> bool:
    """Whether a listening address is reachable only from this machine."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
