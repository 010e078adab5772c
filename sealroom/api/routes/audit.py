"""The audit log for auditors: the export `sealroom audit verify` checks, and the timeline."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import Query

from sealroom.api.convert import audit_event_infos, audit_export_info
from sealroom.api.routing import Room, RouteTable
from sealroom.api.rules import AnyParty
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
            return audit_export_info(export_audit(room, directory))
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
        return audit_event_infos(found[-limit:])
