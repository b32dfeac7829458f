"""A stand-in Qdrant server on loopback: Qdrant's REST routes Sohbet uses, answered by
qdrant-client's own local engine. No Qdrant server binary can run on this machine, and the
behaviour under test is the network client's (connection refused, then the server is back on
the same port), so the routes only translate JSON to qdrant-client models and back.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web
from qdrant_client import AsyncQdrantClient, models


def _ok(result: Any) -> web.Response:
    if hasattr(result, "model_dump"):
        result = result.model_dump(mode="json")
    body = {"result": result, "status": "ok", "time": 0.0}
    return web.Response(text=json.dumps(body), content_type="application/json")


def _updated() -> web.Response:
    return _ok({"operation_id": 0, "status": "completed"})


class QdrantStandIn:
    def __init__(self) -> None:
        self.engine = AsyncQdrantClient(location=":memory:")  # kept across restarts
        self.port = 0
        self.requests = 0
        self._runner: web.AppRunner | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application(middlewares=[self._count])
        name = "/collections/{name}"
        app.router.add_get(name + "/exists", self._exists)
        app.router.add_get(name, self._info)
        app.router.add_put(name, self._create)
        app.router.add_put(name + "/index", lambda _r: self._async_updated())
        app.router.add_put(name + "/points", self._upsert)
        app.router.add_post(name + "/points/query", self._query)
        app.router.add_post(name + "/points/count", self._points_count)
        app.router.add_post(name + "/points/delete", self._delete)
        app.router.add_post(name + "/points/payload/delete", self._delete_payload)
        app.router.add_post(name + "/facet", self._facet)
        runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        self.port = int(site._server.sockets[0].getsockname()[1])  # type: ignore[union-attr]
        self._runner = runner

    async def stop(self) -> None:
        """The server went away: the port refuses connections until `start()`."""
        runner, self._runner = self._runner, None
        if runner is not None:
            await runner.cleanup()

    async def close(self) -> None:
        await self.stop()
        await self.engine.close()

    @web.middleware
    async def _count(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests += 1
        response: web.StreamResponse = await handler(request)
        return response

    async def _async_updated(self) -> web.Response:
        return _updated()

    async def _exists(self, request: web.Request) -> web.Response:
        exists = await self.engine.collection_exists(request.match_info["name"])
        return _ok({"exists": exists})

    async def _info(self, request: web.Request) -> web.Response:
        return _ok(await self.engine.get_collection(request.match_info["name"]))

    async def _create(self, request: web.Request) -> web.Response:
        body = models.CreateCollection.model_validate(await request.json())
        await self.engine.create_collection(
            request.match_info["name"],
            vectors_config=body.vectors,
            sparse_vectors_config=body.sparse_vectors,
            hnsw_config=body.hnsw_config,
        )
        return _ok(True)

    async def _upsert(self, request: web.Request) -> web.Response:
        body = models.PointsList.model_validate(await request.json())
        await self.engine.upsert(request.match_info["name"], points=body.points)
        return _updated()

    async def _query(self, request: web.Request) -> web.Response:
        body = models.QueryRequest.model_validate(await request.json())
        found = await self.engine.query_points(
            request.match_info["name"],
            query=body.query,
            using=body.using,
            prefetch=body.prefetch,
            query_filter=body.filter,
            limit=body.limit or 10,
            with_payload=body.with_payload if body.with_payload is not None else True,
            with_vectors=body.with_vector if body.with_vector is not None else False,
        )
        return _ok(found)

    async def _points_count(self, request: web.Request) -> web.Response:
        body = models.CountRequest.model_validate(await request.json())
        found = await self.engine.count(
            request.match_info["name"], count_filter=body.filter, exact=bool(body.exact)
        )
        return _ok(found)

    async def _delete(self, request: web.Request) -> web.Response:
        body = models.FilterSelector.model_validate(await request.json())
        await self.engine.delete(request.match_info["name"], points_selector=body)
        return _updated()

    async def _delete_payload(self, request: web.Request) -> web.Response:
        body = models.DeletePayload.model_validate(await request.json())
        selector = models.FilterSelector(filter=body.filter) if body.filter else body.points
        await self.engine.delete_payload(
            request.match_info["name"], keys=body.keys, points=selector or []
        )
        return _updated()

    async def _facet(self, request: web.Request) -> web.Response:
        """Counts of a keyword's values (the local engine has no facets: read payloads)."""
        body = models.FacetRequest.model_validate(await request.json())
        counts: dict[str, int] = {}
        offset: Any = None
        while True:
            points, offset = await self.engine.scroll(
                request.match_info["name"],
                scroll_filter=body.filter,
                limit=1000,
                offset=offset,
                with_payload=[body.key],
            )
            for point in points:
                value = (point.payload or {}).get(body.key)
                if value is not None:
                    counts[str(value)] = counts.get(str(value), 0) + 1
            if offset is None:
                break
        hits = [{"value": v, "count": c} for v, c in sorted(counts.items())][: body.limit or 10]
        return _ok({"hits": hits})
