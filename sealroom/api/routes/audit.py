"""The audit log for auditors: the export `sealroom audit verify` checks, and the timeline."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import Query

from sealroom.api.routing import Room, RouteTable
from sealroom.api.rules import AnyParty
from sealroom.audit import timeline_json_lines
from sealroom.client.models import AuditEventInfo, AuditExportInfo
from sealroom.service.audit_log import export_audit, timeline

ShortText = Annotated[str | None, Query(max_length=64)]


def add_routes(table: RouteTable) -> None:
    @table.route(
        "GET",
        "/v1/audit/export",
        rule=AnyParty("audit"),
        rate="download",
        tag="audit",
        summary="A freshly signed tree head and the log up to it, with the platform's key",
        response_model=AuditExportInfo,
    )
    def export(room: Room) -> AuditExportInfo:
        directory = Path(tempfile.mkdtemp(prefix="sealroom-audit-"))
        try:
            result = export_audit(room, directory)
            return AuditExportInfo(
                log=result.log.read_text("utf-8"),
                tree_head=result.head.read_text("utf-8"),
                platform_key=result.public_key.read_text("utf-8"),
                tree_size=result.head_value.tree_size,
            )
        finally:
            shutil.rmtree(directory, ignore_errors=True)

    @table.route(
        "GET",
        "/v1/audit/events",
        rule=AnyParty("audit"),
        tag="audit",
        summary="The history as a timeline, filtered",
        response_model=list[AuditEventInfo],
    )
    def events(
        room: Room,
        contract: ShortText = None,
        job: ShortText = None,
        actor: ShortText = None,
        action: ShortText = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    ) -> list[AuditEventInfo]:
        found = timeline(room, contract=contract, job=job, actor=actor, action=action)
        lines = timeline_json_lines(found[-limit:])
        return [AuditEventInfo(**json.loads(line)) for line in lines]
