"""The web commands: `serve` (Canvas's HTTPS delivery in; the API and the mastery grid out) and `report`
(the grid as one static HTML file). Parse, call `web`, render."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from cli.context import Context, DomainError, InputOutputError, ensure_parent
from cli.render import say
from cli.snapshots import cut_options

if TYPE_CHECKING:  # imported when serving only: the CLI starts without the web stack
    from web.signing import KeySet


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port to listen on.")
@click.option(
    "--max-body",
    type=click.IntRange(1024),
    default=None,
    help="Largest POST /events body in bytes (env MASTERY_MAX_BODY; default 1 MiB).",
)
@click.option(
    "--ssl-certfile",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="Serve HTTPS with this certificate (PEM); otherwise HTTP, e.g. behind a TLS proxy.",
)
@click.option(
    "--ssl-keyfile",
    type=click.Path(exists=True, dir_okay=False),
    default=None,
    help="The certificate's private key (PEM).",
)
@click.option(
    "--jwt-issuer",
    "jwt_issuers",
    multiple=True,
    metavar="ISS",
    help="Accept signed deliveries only with this `iss` (repeatable; env MASTERY_JWT_ISSUER, "
    "comma-separated; any issuer when unset).",
)
@click.option(
    "--jwt-audience",
    "jwt_audiences",
    multiple=True,
    metavar="AUD",
    help="Accept signed deliveries only for this `aud` (repeatable; env MASTERY_JWT_AUDIENCE; "
    "not checked when unset). Signed deliveries always need `exp`.",
)
@click.option(
    "--accept-account",
    "accept_accounts",
    multiple=True,
    metavar="UUID",
    help="Keep only events of this root account (root_account_uuid); others are quarantined "
    "with the reason (repeatable; env MASTERY_ACCEPT_ACCOUNT). With one, reads are of it.",
)
@click.option(
    "--allowed-host",
    "allowed_hosts",
    multiple=True,
    metavar="NAME",
    help="On loopback, also answer requests with this Host (e.g. a proxy's name); any Host but "
    "localhost, 127.0.0.1 and [::1] gets 421 (repeatable; env MASTERY_ALLOWED_HOST).",
)
@click.option(
    "--header-timeout",
    default=10.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds a connection may take to send its request headers, and may idle between requests.",
)
@click.option(
    "--body-timeout",
    default=30.0,
    show_default=True,
    type=click.FloatRange(0.1),
    help="Seconds a POST /events body may take to arrive (408 after).",
)
@click.option(
    "--create",
    is_flag=True,
    help="Create the store when it does not exist yet (without it, a missing store is an error: exit 3).",
)
@click.pass_obj
def serve(
    app: Context,
    create: bool,
    host: str,
    port: int,
    max_body: int | None,
    ssl_certfile: str | None,
    ssl_keyfile: str | None,
    header_timeout: float,
    body_timeout: float,
    **lists: tuple[str, ...],
) -> None:
    """Receive Canvas Live Events over HTTPS and serve the outcome_rollups API and the mastery grid.

    Signed deliveries (MASTERY_JWKS) need `exp`, and `iss`/`aud` among the accepted ones when set; a JWKS
    URL is fetched at most once a minute (5 s each; 503 while it fails for an unknown key)."""
    import dataclasses

    import uvicorn

    from web.app import create_app
    from web.config import ServeConfig
    from web.connections import with_header_deadline

    config = dataclasses.replace(
        ServeConfig.from_env(app.settings, host, max_body=max_body, lists=lists), body_timeout=body_timeout
    )
    problems = config.problems()
    if bool(ssl_certfile) != bool(ssl_keyfile):
        problems.append("HTTPS needs both --ssl-certfile and --ssl-keyfile")
    if problems:
        raise click.UsageError("; ".join(problems))
    keys = _keys(config.jwks)
    app.check_store("create" if create else "write")  # a mistyped --store is not made silently
    asgi = create_app(config, keys)
    asgi.state.service.context.caught_up()  # a bad --store fails here, before anything listens
    free_to_listen(host, port)  # a busy port is said before anything announces the service
    scheme = "https" if ssl_certfile else "http"
    say(f"mastery serve: {scheme}://{host}:{port}/ (ingest POST /events, API /api/v1, docs /docs)")
    uvicorn.run(
        asgi,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
        ssl_certfile=ssl_certfile,
        ssl_keyfile=ssl_keyfile,
        http=with_header_deadline(header_timeout),
        timeout_keep_alive=max(1, round(header_timeout)),
    )


def free_to_listen(host: str, port: int) -> None:
    """Exit 3 naming the address when `serve` could not listen on it (in use, or not this machine's),
    checked with the same SO_REUSEADDR uvicorn binds with; port 0 (any free port) is always free."""
    import errno
    import socket

    if port == 0:
        return
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host.strip("[]"), port))
        except OSError as error:
            where = f"[{host.strip('[]')}]:{port}" if family == socket.AF_INET6 else f"{host}:{port}"
            if error.errno == errno.EADDRINUSE:
                raise InputOutputError(
                    f"address {where} is in use (another `mastery serve`?): choose another --port"
                ) from None
            raise InputOutputError(f"cannot listen on {where}: {error.strerror or error}") from None


def _keys(source: str | None) -> KeySet | None:
    if source is None:
        return None
    from web.signing import KeySet, KeysUnavailable

    try:
        return KeySet(source).load()
    except KeysUnavailable as error:
        raise DomainError(str(error)) from None


@click.command()
@click.option("--course", required=True, help="Canvas course id (local or global).")
@click.option("--html", "html_path", required=True, type=click.Path(dir_okay=False), help="File to write.")
@cut_options
@click.pass_obj
def report(app: Context, course: str, html_path: str, as_of: str | None, known_at: str | None) -> None:
    """Write a course's mastery grid as one self-contained HTML file."""
    from web.grid import course_grid
    from web.render import report as render

    conn = app.caught_up()
    root = app.root(conn)
    grid = course_grid(
        conn,
        root,
        app.local(course, conn, root),
        app.parse_time(as_of, "--as-of"),
        app.parse_time(known_at, "--known-at"),
    )
    if grid is None:
        raise DomainError(
            f"course {course} has no outcomes or results in the store"
            + (" at that time" if as_of or known_at else "")
            + ": `mastery courses` lists the courses"
        )
    ensure_parent(html_path)
    try:
        Path(html_path).write_text(render(grid), encoding="utf-8")
    except OSError as error:
        raise InputOutputError(f"cannot write {html_path!r}: {error.strerror}") from None
    say(f"wrote {html_path}: {len(grid['rows'])} student(s) × {len(grid['columns'])} outcome(s)")
