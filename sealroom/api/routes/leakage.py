"""The contract's leakage ledger: what its releases showed and spent, for its parties."""

from __future__ import annotations

from sealroom.api.convert import leakage_ledger_info
from sealroom.api.routing import CurrentPrincipal, Room, RouteTable
from sealroom.api.rules import ContractRole
from sealroom.client.models import LeakageLedgerInfo
from sealroom.service.leakage import LEDGER_READERS, show_leakage


def add_routes(table: RouteTable) -> None:
    @table.route(
        "GET",
        "/v1/contracts/{contract_id}/leakage",
        # Scientists who are not recipients never see real-run results, nor this.
        rule=ContractRole("read", LEDGER_READERS),
        tag="contracts",
        summary="Released groups, PSI sizes and privacy-budget spends of the contract",
        response_model=LeakageLedgerInfo,
    )
    def leakage(room: Room, principal: CurrentPrincipal, contract_id: str) -> LeakageLedgerInfo:
        return leakage_ledger_info(show_leakage(room, principal.actor, contract_id))
