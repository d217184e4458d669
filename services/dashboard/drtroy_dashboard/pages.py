"""The built-in dashboard: ``/`` (the single page) and ``/static/...`` (its
hand-written script, style sheet and nothing else).

The page talks to the read API only. Asset URLs in ``index.html`` carry a
version (a hash of the static files), so an asset may be cached for a year
(``immutable``) while ``index.html`` itself is revalidated on every load:
an upgrade shows at once, a reload costs one small request.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import Response

STATIC_DIR = Path(__file__).resolve().parent / "static"

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
}
# A versioned asset never changes under its URL; an unversioned one must be revalidated.
_IMMUTABLE = "public, max-age=31536000, immutable"
_REVALIDATE = "no-cache"

router = APIRouter(include_in_schema=False)


@cache
def _assets() -> dict[str, bytes]:
    """Every servable file by name (a flat folder: no path can escape it)."""
    return {
        p.name: p.read_bytes()
        for p in sorted(STATIC_DIR.iterdir())
        if p.is_file() and p.suffix in _TYPES and p.name != "index.html"
    }


@cache
def asset_version() -> str:
    """A short hash of every asset: changes whenever one of them does."""
    h = hashlib.sha256()
    for name, body in _assets().items():
        h.update(name.encode() + b"\0" + body)
    return h.hexdigest()[:12]


@cache
def _index() -> bytes:
    html = (STATIC_DIR / "index.html").read_text()
    return html.replace("__VERSION__", asset_version()).encode()


def _etag(body: bytes) -> str:
    return '"' + hashlib.sha256(body).hexdigest()[:20] + '"'


def _reply(request: Request, body: bytes, media_type: str, cache_control: str) -> Response:
    etag = _etag(body)
    headers = {"Cache-Control": cache_control, "ETag": etag, "X-Content-Type-Options": "nosniff"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=media_type, headers=headers)


@router.get("/")
async def index(request: Request) -> Response:
    """The dashboard page."""
    return _reply(request, _index(), _TYPES[".html"], _REVALIDATE)


@router.get("/static/{name}")
async def static(name: str, request: Request) -> Response:
    """One of the dashboard's own files; versioned URLs are cached for good."""
    body = _assets().get(name)
    if body is None:
        raise HTTPException(404, f"no static file {name!r}")
    versioned = request.query_params.get("v") == asset_version()
    return _reply(
        request, body, _TYPES[Path(name).suffix], _IMMUTABLE if versioned else _REVALIDATE
    )
