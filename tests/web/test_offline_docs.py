"""The OpenAPI page works without the internet (issue 13): /docs names only this server's own assets, each
answers, no inline script is needed, and a real browser that may reach nothing but the server renders
every operation; /openapi.json lists every route of the app."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

from web.app import create_app
from web.config import ServeConfig

CHROMIUM = Path("/usr/bin/chromium")
# Routes deliberately left out of the schema: the HTML pages, their stylesheet, and the docs page itself.
HIDDEN = {  # the pages a person opens (and their CSV link), outside the API's schema
    "/",
    "/courses/{course_id}",
    "/courses/{course_id}/rollups.csv",
    "/students/{student_ref}",
    "/courses/{course_id}/students/{student_ref}/outcomes/{outcome_id}",
    "/outcomes/{outcome_id}",
    "/static/mastery.css",
    "/docs",
    "/docs/init.js",
    "/docs/{name}",
    "/openapi.json",
}


class Assets(HTMLParser):
    """Every URL a page loads (script src, link href, img src) and whether it has inline script."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline_script = False
        self._in_script = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        for name in ("src", "href"):
            if found.get(name):
                self.urls.append(found[name] or "")
        self._in_script = tag == "script"

    def handle_data(self, data: str) -> None:
        if self._in_script and data.strip():
            self.inline_script = True

    def handle_endtag(self, tag: str) -> None:
        self._in_script = False


def routes_of(app) -> list[tuple[str, set[str], bool]]:
    """(path, methods, in the schema) of every route the app answers, included routers walked."""
    from fastapi import routing

    walk = getattr(routing, "iter_route_contexts", None)  # FastAPI >= 0.160 keeps included routers whole
    found = []
    for route in walk(app.routes) if walk else app.routes:
        original = getattr(route, "original_route", route)
        in_schema = isinstance(original, routing.APIRoute) and original.include_in_schema
        found.append((route.path, set(route.methods or ()), in_schema))
    return found


def test_the_docs_page_loads_only_same_origin_assets_and_each_answers(seeded):
    page = seeded.get("/docs")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    parsed = Assets()
    parsed.feed(page.text)
    assert not parsed.inline_script
    assert sorted(parsed.urls) == [
        "/docs/favicon.png",
        "/docs/init.js",
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-ui.css",
    ]
    kinds = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}
    for url in parsed.urls:
        answer = seeded.get(url)
        assert answer.status_code == 200, url
        assert answer.headers["content-type"].startswith(kinds[Path(url).suffix]), url
        assert len(answer.content) > 1000 or url.endswith("init.js"), url
    init = seeded.get("/docs/init.js").text
    assert "/openapi.json" in init and "http" not in init
    assert seeded.get("/docs/../../etc/passwd").status_code == 404
    assert seeded.get("/docs/redoc.standalone.js").status_code == 404  # shipped by the package, not served


def test_openapi_lists_every_route_of_the_app_with_its_methods(seeded, tmp_path):
    from projections.session import Settings

    app = create_app(ServeConfig(Settings(str(tmp_path / "unused.db")), ingest_token="x"))
    schema = seeded.get("/openapi.json").json()["paths"]
    listed = set()
    for path, methods, in_schema in routes_of(app):
        if path in HIDDEN:
            assert not in_schema, path
            continue
        assert path in schema and in_schema, path
        assert {m.lower() for m in methods} - {"head"} <= set(schema[path]), (path, methods)
        listed.add(path)
    assert listed == set(schema)
    # Every Canvas outcome route is there, for courses, accounts and the global context.
    for prefix in ("/api/v1/courses/{context_id}", "/api/v1/accounts/{context_id}", "/api/v1/global"):
        for tail in (
            "/root_outcome_group",
            "/outcome_groups/{group_id}/outcomes",
            "/outcome_groups/{group_id}/subgroups",
        ):
            assert prefix + tail in schema, prefix + tail
    assert "/api/v1/courses/{context_id}/outcome_proficiency" in schema
    assert "/api/v1/outcomes/{outcome_id}/audit" in schema


def test_a_browser_that_reaches_nothing_but_the_server_renders_every_operation(seeded_process, tmp_path):
    seeded = seeded_process
    from playwright.sync_api import sync_playwright

    operations = sum(
        1
        for item in seeded.get("/openapi.json").json()["paths"].values()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    )
    blocked: list[str] = []
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        try:
            page = browser.new_page(viewport={"width": 1200, "height": 800})

            def only_the_server(route):
                if route.request.url.startswith(seeded.url + "/"):
                    return route.continue_()
                blocked.append(route.request.url)
                return route.abort()

            page.route("**/*", only_the_server)
            page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(f"{seeded.url}/docs")
            page.wait_for_selector(".opblock", timeout=20_000)
            shown = page.locator(".opblock").count()
            title = page.locator(".info .title").inner_text()
            page.screenshot(path=str(tmp_path / "docs.png"))
        finally:
            browser.close()
    assert blocked == [] and errors == []
    assert shown == operations
    assert re.match(r"outcome-mastery", title)
