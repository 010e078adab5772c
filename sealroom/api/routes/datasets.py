"""Datasets: streamed registration, and shape and handling (never values) to read.

An upload is streamed to a private temporary file under the data directory,
counted against the size cap as it arrives (never held in memory), handed to
the same ``register_dataset`` the CLI calls, and deleted whatever happens.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Annotated, Literal

from fastapi import Query, Request
from starlette.concurrency import run_in_threadpool

from sealroom.api.convert import dataset_info
from sealroom.api.errors import UploadStalled
from sealroom.api.limits import ApiLimits
from sealroom.api.routing import CurrentPrincipal, Room, RouteTable, media_type
from sealroom.api.rules import ActsForOwner, AnyParty, DatasetReader, may_see_dataset
from sealroom.client.models import DatasetInfo
from sealroom.errors import ConfigError
from sealroom.service.context import Sealroom
from sealroom.service.datasets import list_datasets, register_dataset, show_dataset
from sealroom.service.names import validate_name

SUFFIXES = {
    "application/vnd.apache.parquet": ".parquet",
    "application/x-parquet": ".parquet",
    "text/csv": ".csv",
}
# A bare file name: no directory part, no leading dot, nothing a shell or path joins.
# Letters and digits of any script (客户.csv), never control, format or bidi characters.
FILENAME = re.compile(r"[^\W_][\w.-]{0,127}")
UPLOAD_BODY = {
    "requestBody": {
        "required": True,
        "content": {
            media: {"schema": {"type": "string", "format": "binary"}} for media in SUFFIXES
        },
    }
}


def upload_file_name(filename: str | None, name: str, suffix: str) -> str:
    chosen = filename or f"{name}{suffix}"
    if not FILENAME.fullmatch(chosen) or ".." in chosen:
        raise ConfigError(
            f"file name {chosen!r} is not allowed: give a bare name such as customers.csv, "
            "without directories"
        )
    return chosen if chosen.lower().endswith(suffix) else chosen + suffix


def parse_overrides(pairs: list[str]) -> dict[str, str]:
    overrides: dict[str, str] = {}
    for pair in pairs:
        column, sep, level = pair.partition("=")
        if not sep or not column or not level:
            raise ConfigError(f"classify {pair!r}: write it as COLUMN=LEVEL, e.g. spend=general")
        overrides[column] = level
    return overrides


async def receive_upload(request: Request, target: Path, limits: ApiLimits) -> None:
    """Streams the body into ``target``; the size cap is enforced by the BodyLimit middleware."""
    chunks = request.stream().__aiter__()
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as out:
        while True:
            try:
                chunk = await asyncio.wait_for(anext(chunks), limits.upload_idle_seconds)
            except StopAsyncIteration:
                break
            except TimeoutError:
                raise UploadStalled(limits.upload_idle_seconds) from None
            out.write(chunk)


def uploads_root(room: Sealroom) -> Path:
    return room.settings.home / "uploads"


def upload_dir(room: Sealroom) -> Path:
    base = uploads_root(room)
    base.mkdir(mode=0o700, exist_ok=True)
    return Path(tempfile.mkdtemp(dir=base))


def sweep_uploads(room: Sealroom) -> int:
    """Deletes what a killed server left of uploads in flight (plaintext: it must not stay).

    Called when a server starts, before it accepts a request, so nothing swept is in use.
    """
    base = uploads_root(room)
    if not base.exists():
        return 0
    stale = [p for p in base.iterdir() if p.is_dir()]
    for directory in stale:
        shutil.rmtree(directory, ignore_errors=True)
    return len(stale)


def add_routes(table: RouteTable) -> None:
    @table.route(
        "GET",
        "/v1/datasets",
        rule=AnyParty("read"),
        tag="datasets",
        summary="The datasets this party may see (latest version of each)",
        response_model=list[DatasetInfo],
    )
    def datasets(room: Room, principal: CurrentPrincipal) -> list[DatasetInfo]:
        return [
            dataset_info(v)
            for v in list_datasets(room)
            if may_see_dataset(room, principal.actor, v.name, v.owner)
        ]

    @table.route(
        "GET",
        "/v1/datasets/{name}",
        rule=DatasetReader(),
        tag="datasets",
        summary="Schema, classification, size and key id of a dataset; never its values",
        response_model=DatasetInfo,
    )
    def dataset(
        room: Room, name: str, version: Annotated[int | None, Query(ge=1)] = None
    ) -> DatasetInfo:
        return dataset_info(show_dataset(room, name, version))

    @table.route(
        "POST",
        "/v1/datasets/{name}",
        rule=ActsForOwner(),
        body="upload",
        tag="datasets",
        status_code=201,
        response_model=DatasetInfo,
        openapi_extra=UPLOAD_BODY,
        summary="Register a Parquet or CSV file as the next version of dataset NAME",
    )
    async def register(
        request: Request,
        room: Room,
        principal: CurrentPrincipal,
        name: str,
        owner: Annotated[str, Query(max_length=63, description="The owning organisation.")],
        filename: Annotated[str | None, Query(max_length=128)] = None,
        classify: Annotated[list[str] | None, Query(description="COLUMN=LEVEL")] = None,
        algorithm: Literal["aes-256-gcm", "sm4-gcm"] | None = None,
        encoding: Annotated[
            str | None, Query(max_length=16, description="A CSV's encoding: utf-8, gbk or gb18030.")
        ] = None,
    ) -> DatasetInfo:
        """The body is the file itself (not multipart), streamed."""
        validate_name("dataset", name)  # before a byte is stored
        suffix = SUFFIXES[media_type(request)]
        overrides = parse_overrides(classify or [])
        source_name = upload_file_name(filename, name, suffix)
        limits: ApiLimits = request.app.state.limits
        directory = upload_dir(room)
        try:
            source = directory / source_name
            await receive_upload(request, source, limits)
            view = await run_in_threadpool(
                register_dataset,
                room,
                principal.actor,
                source,
                owner=owner,
                name=name,
                classify=overrides,
                algorithm=algorithm,
                encoding=encoding,
            )
        finally:
            shutil.rmtree(directory, ignore_errors=True)
        return dataset_info(view)
