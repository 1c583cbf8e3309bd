"""JSON responses (orjson) and RFC 7807 problem details, the error body of every HTTP failure.

RFC 8620 section 3.6.1: request-level errors are `application/problem+json` with a `type` URI;
sections 6.1 and 6.2 ask the same of upload and download errors. Errors that are not JMAP's own
(401, 404, 405) use `about:blank` with a `title`, as RFC 7807 section 4.2 describes.
"""

from __future__ import annotations

from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

import orjson
from starlette.responses import Response

from satchel.core.errors import RequestError

PROBLEM_MEDIA_TYPE = "application/problem+json"


class JsonResponse(Response):
    """A JSON body encoded with orjson."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content)


class HttpProblem(Exception):
    """Ends a request with a problem+json response; raised anywhere below an endpoint."""

    def __init__(
        self,
        status: int,
        detail: str,
        type: str = "about:blank",
        headers: Mapping[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.type = type
        self.headers = dict(headers or {})
        self.extra = extra

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, "status": self.status}
        if self.type == "about:blank":
            body["title"] = _title(self.status)
        body["detail"] = self.detail
        body.update(self.extra)
        return body


def _title(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


def problem_response(
    body: dict[str, Any], status: int, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        orjson.dumps(body), status_code=status, headers=headers, media_type=PROBLEM_MEDIA_TYPE
    )


def http_problem_response(problem: HttpProblem) -> Response:
    return problem_response(problem.body(), problem.status, problem.headers)


def request_error_response(error: RequestError) -> Response:
    """RFC 8620 section 3.6.1: the core's RequestError on the wire, with its advised status."""
    return problem_response(error.to_json(), error.status)


def server_fail_body(detail: str) -> dict[str, Any]:
    return {"type": "urn:ietf:params:jmap:error:serverFail", "status": 500, "detail": detail}
