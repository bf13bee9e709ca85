"""The ASGI application of `mastery serve`: ingest, the read API, the pages, and OpenAPI at /docs.

At start-up the server imports what its reads import lazily and freezes the heap (`settle_heap`), so a
full garbage collection during a request no longer scans the start-up's objects (query p95, issue 16).
"""

from __future__ import annotations

import gc
import pkgutil
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from importlib import import_module

from fastapi import FastAPI

from projections.session import package_version
from web import api, canvas_outcomes, docs, errors, ingest, pages
from web.config import ServeConfig
from web.hosts import LoopbackHosts
from web.service import Service
from web.signing import KeySet

# What the routes import on first use (lazily, so that `mastery` itself starts fast), beside every module
# of these packages: imported before the heap is frozen, so that a first request's imports are not left
# for every later full collection to scan.
READ_PACKAGES = ("projections.queries", "web")
READ_MODULES = ("projections.views", "projections.problems", "domain.fold", "domain.outcome", "store.ingest")


def settle_heap() -> None:
    """Import what reads use, collect, then `gc.freeze()` everything alive: the modules, classes, schemas
    and caches of a long-running server, which live as long as the process. A full collection walks
    every tracked object of the oldest generation; after the freeze that is only what requests made
    (on a wide course, a full collection inside a rollups call took ~12 ms: p95 about 10 → 7 ms).
    Sound for a server: frozen objects are still freed by reference counting, only cycles among them
    wait (`gc.unfreeze` at shutdown gives them back). Not done by the one-shot CLI commands: no full
    collection ran inside a `mastery rollups` of a wide course (measured), so freezing would buy nothing."""
    for package in READ_PACKAGES:
        for found in pkgutil.iter_modules(import_module(package).__path__, package + "."):
            import_module(found.name)
    for name in READ_MODULES:
        import_module(name)
    gc.collect()
    gc.freeze()


def create_app(config: ServeConfig, keys: KeySet | None = None) -> FastAPI:
    """The app for one configuration; `keys` are the signing keys when MASTERY_JWKS is set. With one
    accepted root account, reads are of that account unless another is asked for."""
    settings = config.settings
    if not settings.account and len(config.accept_accounts) == 1:
        settings = replace(settings, account=config.accept_accounts[0])
    service = Service(settings)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        service.follow()
        settle_heap()
        try:
            yield
        finally:
            service.close()
            gc.unfreeze()  # the start-up's objects are collectable again (an app run inside a test process)

    app = FastAPI(
        title="outcome-mastery",
        version=package_version(),
        lifespan=lifespan,
        docs_url=None,  # web/docs.py serves /docs without a CDN
        redoc_url=None,
        description="Canvas Live Events in (HTTPS delivery); Canvas-compatible outcome rollups, "
        "outcomes and their history out, now or as of any time.",
    )
    app.state.config, app.state.service, app.state.keys = config, service, keys
    app.include_router(ingest.router)
    app.include_router(canvas_outcomes.router, prefix="/api/v1")  # before api: its /outcomes/{id} wins
    app.include_router(api.router, prefix="/api/v1")
    app.include_router(docs.router)
    app.include_router(pages.router)
    errors.install(app)
    if config.loopback:
        app.add_middleware(LoopbackHosts, allowed=config.allowed_hosts)
    return app
