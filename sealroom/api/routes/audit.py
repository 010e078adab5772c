"""The audit log for auditors: the export `sealroom audit verify` checks, and the timeline."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import Query

from sealroom.api.convert import audit_event_infos, audit_export_info
from sealroom.api.routing import CurrentPrincipal, Room, RouteTable
from sealroom.api.rules import Auditor, visible_contracts
from sealroom.client.models import AuditEventInfo, AuditExportInfo
from sealroom.service.audit_log import export_audit, timeline

ShortText = Annotated[str | None, Query(max_length=64)]


def add_routes(table: RouteTable) -> None:
    @table.route(
        "GET",
        "/v1/audit/export",
        rule=Auditor(whole_log=True),
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
        rule=Auditor(),
        tag="audit",
        summary="The history of the contracts the token audits, as a timeline, filtered",
        response_model=list[AuditEventInfo],
    )
    def events(
        room: Room,
        principal: CurrentPrincipal,
        contract: ShortText = None,
        job: ShortText = None,
        actor: ShortText = None,
        action: ShortText = None,
        limit: Annotated[int, Query(ge=1, le=10_000)] = 1000,
    ) -> list[AuditEventInfo]:
        found = timeline(room, contract=contract, job=job, actor=actor, action=action)
        if not principal.audits_everything:
            # The audit scope is per contract: a party reads the history of its contracts
            # and what it did itself, never another contract's.
            scope = principal.audited_contracts(visible_contracts(room, principal.actor) or ())
            mine = set(principal.actor.parties) if "audit" in principal.scopes else set()
            found = [
                e
                for e in found
                if (e.event.contract_id in scope)
                or (not e.event.contract_id and e.event.actor in mine)
            ]
        return audit_event_infos(found[-limit:])
