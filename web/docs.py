"""The OpenAPI page at /docs, working without the internet: Swagger UI's script, stylesheet and icon are
served from this server (the copies the `fastapi-offline` package ships), never from a CDN.

The page runs no inline script (its start-up is /docs/init.js), so its Content-Security-Policy allows
scripts from this origin only; Swagger UI paints with inline styles and data: images.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, Response

from web.errors import Problem

ASSETS = Path(str(files("fastapi_offline") / "static"))
SERVED = {"swagger-ui-bundle.js": "text/javascript", "swagger-ui.css": "text/css", "favicon.png": "image/png"}
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
PAGE = """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<title>{title} - API</title>
<link rel="stylesheet" href="{root}/docs/swagger-ui.css">
<link rel="icon" href="{root}/docs/favicon.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{root}/docs/swagger-ui-bundle.js"></script>
<script src="{root}/docs/init.js"></script>
</body>
</html>
"""
INIT = """window.ui = SwaggerUIBundle({
  url: document.currentScript.src.replace(/\\/docs\\/init\\.js$/, "") + "%s",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
  layout: "BaseLayout",
});
"""

router = APIRouter(include_in_schema=False)


def headers() -> dict[str, str]:
    return {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff"}


@router.get("/docs")
async def docs(request: Request) -> Response:
    root = request.scope.get("root_path", "")
    title = request.app.title.replace("&", "&amp;").replace("<", "&lt;")
    return HTMLResponse(PAGE.format(title=title, root=root), headers=headers())


@router.get("/docs/init.js")
async def init(request: Request) -> Response:
    return Response(INIT % request.app.openapi_url, media_type="text/javascript", headers=headers())


@router.get("/docs/{name}")
async def asset(name: str) -> Response:
    if name not in SERVED:
        raise Problem(404, f"no such docs asset: {name}")
    return FileResponse(ASSETS / name, media_type=SERVED[name], headers=headers())
