"""The ASGI application of `mastery serve`: ingest, the read API, the pages, and OpenAPI at /docs."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace

from fastapi import FastAPI

from projections.session import package_version
from web import api, canvas_outcomes, docs, errors, ingest, pages
from web.config import ServeConfig
from web.hosts import LoopbackHosts
from web.service import Service
from web.signing import KeySet


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
        yield
        service.close()

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
