"""The HTTP connection under the SDK: requests to one server, its refusals as typed errors.

``Client`` holds one ``Connection`` and says what each API call sends and
expects; this module knows how a request travels: the token header, timeouts,
the server's problem documents turned into ``sealroom.client.errors``, path
segments quoted, and uploads streamed from disk behind a progress bar.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import httpx
from pydantic import BaseModel, TypeAdapter
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TimeRemainingColumn,
    TransferSpeedColumn,
)

from sealroom.client.errors import ServerUnreachable, error_for

M = TypeVar("M")
CHUNK = 1 << 20
DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=5.0)
# A dataset upload streams the whole file; a PSI message waits for the owner's
# side to compute its reply.
UPLOAD_TIMEOUT = httpx.Timeout(300.0, connect=5.0)
PSI_MESSAGE_TIMEOUT = httpx.Timeout(600.0, connect=5.0)


def segment(value: str) -> str:
    """One path segment: a name with a slash in it cannot reach another endpoint."""
    return urllib.parse.quote(str(value), safe="")


class Connection:
    """Requests to one Sealroom server with one API token (or none)."""

    def __init__(
        self,
        base_url: str,
        token: str | None,
        *,
        timeout: httpx.Timeout | float,
        progress: bool,
        console: Console,
        transport: httpx.BaseTransport | None,
    ) -> None:
        headers = {"User-Agent": "sealroom-client"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.base_url = base_url.rstrip("/")
        # Whether to show progress bars and spinners, and where.
        self.progress = progress
        self.console = console
        self._http = httpx.Client(
            base_url=self.base_url, headers=headers, timeout=timeout, transport=transport
        )

    def close(self) -> None:
        self._http.close()

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The server's answer; a refusal raised as the error for its status."""
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as err:
            raise ServerUnreachable(self.base_url, type(err).__name__) from None
        if response.is_error:
            try:
                problem = response.json()
            except ValueError:
                problem = {"detail": response.text[:500]}
            if not isinstance(problem, dict):
                problem = {"detail": str(problem)[:500]}
            raise error_for(response.status_code, problem)
        return response

    def get(self, path: str, model: type[M], **params: Any) -> M:
        return TypeAdapter(model).validate_python(self._get_json(path, params))

    def get_list(self, path: str, item: type[M], **params: Any) -> list[M]:
        return TypeAdapter(list[item]).validate_python(self._get_json(path, params))  # type: ignore[valid-type]

    def post(self, path: str, model: type[M], body: BaseModel) -> M:
        response = self.send(
            "POST",
            path,
            content=body.model_dump_json(),
            headers={"Content-Type": "application/json"},
        )
        result: M = TypeAdapter(model).validate_python(response.json())
        return result

    def upload(
        self, path: str, file: Path, media: str, params: list[tuple[str, str]]
    ) -> httpx.Response:
        """Streams ``file`` as the body, never holding it in memory."""
        size = file.stat().st_size
        return self.send(
            "POST",
            path,
            params=params,
            content=self._chunks(file, size, f"uploading {file.name}"),
            headers={"Content-Type": media, "Content-Length": str(size)},
            timeout=UPLOAD_TIMEOUT,
        )

    def _get_json(self, path: str, params: dict[str, Any]) -> Any:
        clean = {k: v for k, v in params.items() if v is not None}
        return self.send("GET", path, params=clean).json()

    def _chunks(self, path: Path, size: int, label: str) -> Iterator[bytes]:
        with path.open("rb") as source, self._bar() as bar:
            task = bar.add_task(label, total=size)
            while chunk := source.read(CHUNK):
                bar.advance(task, len(chunk))
                yield chunk

    def _bar(self) -> Progress:
        return Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            TimeRemainingColumn(),
            console=self.console,
            disable=not self.progress,
            transient=True,
        )
