"""ASGI middleware: the body-size cap, response counting, and no traceback ever reaching a reader."""

from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable

from .metrics import Metrics
from .problems import MEDIA_TYPE, Problem

log = logging.getLogger("exporter.service")

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[dict]]
Send = Callable[[dict], Awaitable[None]]


class _TooLarge(Exception):
    pass


async def send_problem(send: Send, problem: Problem, instance: str | None = None) -> None:
    body = json.dumps(problem.body(instance), ensure_ascii=False).encode()
    headers = [(b"content-type", MEDIA_TYPE.encode()), (b"content-length", str(len(body)).encode())]
    headers += [(k.lower().encode(), v.encode()) for k, v in problem.headers.items()]
    await send({"type": "http.response.start", "status": problem.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class Guard:
    """Wraps the application: refuses bodies over ``max_body`` (413), counts responses by class,
    and turns any exception that escapes the routes into a one-line 500 problem (logged with its
    traceback on the server, never sent)."""

    def __init__(self, app, max_body: int, metrics: Metrics) -> None:
        self.app = app
        self.max_body = max_body
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False
        overflow = False
        path = scope.get("path", "")

        async def counting_send(message: dict) -> None:
            nonlocal started
            if overflow:
                # The framework answered an over-long body as unparsable; the answer is 413.
                if message["type"] == "http.response.start" and not started:
                    await send_problem(counting_send_raw, too_large, path)
                return
            await counting_send_raw(message)

        async def counting_send_raw(message: dict) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                self.metrics.response(message["status"])
            await send(message)

        too_large = Problem(413, f"the request body is over the limit of {self.max_body} bytes")
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await send_problem(counting_send_raw, Problem(400, "Content-Length is not a number"), path)
                    return
                if declared > self.max_body:
                    await send_problem(counting_send_raw, too_large, path)
                    return
        received = 0

        async def capped_receive() -> dict:
            nonlocal received, overflow
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_body:
                    overflow = True
                    raise _TooLarge()
            return message

        try:
            await self.app(scope, capped_receive, counting_send)
        except _TooLarge:
            if not started:
                await send_problem(counting_send_raw, too_large, path)
        except Exception:  # noqa: BLE001 -- the reader gets one line, the log gets the traceback
            log.exception("unhandled error on %s", path)
            if not started:
                await send_problem(counting_send_raw, Problem(500, "internal error; the service logged it"), path)
