"""Jobs, reviews and results: submit, follow, review, and hand the sealed result over.

Real-run logs are outputs of the full data, so they go to the contract's owner,
platform and reviewers, not back to the scientist who wrote the code; debug-run
logs (from the masked sample) go to the submitter too.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from contracts import Role, RunMode
from jobs import CodeIdentity, Decision
from sealroom.api.convert import (
    files_b64,
    job_info,
    logs_info,
    offered_signature,
    review_info,
    sealed_result_info,
)
from sealroom.api.routing import CurrentPrincipal, Room, RouteTable
from sealroom.api.rules import AnyParty, ContractRole, JobRole, OnReviewQuorum
from sealroom.client.models import (
    CodeApproval,
    CodeApprovals,
    FilesInfo,
    JobInfo,
    JobLogs,
    NewJob,
    NewVote,
    ReviewInfo,
    SealedResultInfo,
)
from sealroom.client.row_window import PAGE_ROWS
from sealroom.service.contracts import show_contract
from sealroom.service.jobs import (
    cancel_job,
    debug_outputs,
    job_logs,
    job_status,
    list_jobs,
    submit_job,
)
from sealroom.service.results import download_result
from sealroom.service.reviews import approve_code, list_reviews, show_review, vote

FOLLOWING = (Role.OWNER, Role.PLATFORM, Role.REVIEWER, Role.SCIENTIST)
# A row of an output table, 1-based: the review sends rows first_row..last_row of each.
RowNumber = Annotated[int, Query(ge=1, le=1_000_000_000)]


def add_routes(table: RouteTable) -> None:
    @table.route(
        "POST",
        "/v1/contracts/{contract_id}/jobs",
        rule=ContractRole("write", (Role.SCIENTIST,)),
        body="json",
        tag="jobs",
        status_code=201,
        response_model=JobInfo,
        summary="Submit code under the contract; the gate admits or refuses it with a reason",
    )
    def submit(room: Room, principal: CurrentPrincipal, contract_id: str, new: NewJob) -> JobInfo:
        view = submit_job(
            room,
            principal.actor,
            contract_id,
            new.code.encode("utf-8"),
            new.code_name,
            RunMode(new.mode),
        )
        return job_info(view)

    @table.route(
        "GET",
        "/v1/contracts/{contract_id}/jobs",
        rule=ContractRole("read", FOLLOWING),
        tag="jobs",
        summary="The jobs run under the contract, oldest first",
        response_model=list[JobInfo],
    )
    def jobs_of(room: Room, principal: CurrentPrincipal, contract_id: str) -> list[JobInfo]:
        show_contract(room, contract_id)  # 404 for a contract that does not exist
        return [job_info(v) for v in list_jobs(room, contract_id, viewer=principal.actor)]

    @table.route(
        "GET",
        "/v1/jobs/{job_id}",
        rule=JobRole("read", FOLLOWING, or_submitter=True),
        tag="jobs",
        summary="State, reason, outputs and check report",
        response_model=JobInfo,
    )
    def status(room: Room, principal: CurrentPrincipal, job_id: str) -> JobInfo:
        return job_info(job_status(room, principal.actor, job_id))

    @table.route(
        "GET",
        "/v1/jobs/{job_id}/logs",
        rule=JobRole("read", FOLLOWING),
        tag="jobs",
        summary="What the job printed (up to the sandbox's log cap)",
        response_model=JobLogs,
    )
    def logs(room: Room, principal: CurrentPrincipal, job_id: str) -> JobLogs:
        return logs_info(job_logs(room, principal.actor, job_id))

    @table.route(
        "POST",
        "/v1/jobs/{job_id}/cancel",
        rule=JobRole("write", (Role.SCIENTIST,)),
        tag="jobs",
        summary="Withdraw a job that has not been decided yet (its submitter)",
        response_model=JobInfo,
    )
    def cancel(room: Room, principal: CurrentPrincipal, job_id: str) -> JobInfo:
        return job_info(cancel_job(room, principal.actor, job_id))

    @table.route(
        "GET",
        "/v1/jobs/{job_id}/outputs",
        rule=JobRole("read", (Role.SCIENTIST,)),
        rate="download",
        tag="jobs",
        response_model=FilesInfo,
        summary="A debug run's outputs (from the masked sample), for its submitter",
    )
    def outputs(room: Room, principal: CurrentPrincipal, job_id: str) -> FilesInfo:
        return FilesInfo(
            job_id=job_id, files=files_b64(debug_outputs(room, principal.actor, job_id))
        )

    @table.route(
        "GET",
        "/v1/reviews",
        rule=AnyParty("read"),
        tag="reviews",
        response_model=list[JobInfo],
        summary="Jobs waiting for this party's review",
    )
    def reviews(room: Room, principal: CurrentPrincipal) -> list[JobInfo]:
        return [job_info(v) for v in list_reviews(room, principal.actor)]

    @table.route(
        "GET",
        "/v1/jobs/{job_id}/review",
        rule=OnReviewQuorum("read"),
        tag="reviews",
        response_model=ReviewInfo,
        summary="What a reviewer sees: checked outputs, check report, code and its diff",
    )
    def review(
        room: Room,
        principal: CurrentPrincipal,
        job_id: str,
        first_row: RowNumber = 1,
        last_row: RowNumber = PAGE_ROWS,
    ) -> ReviewInfo:
        return review_info(
            show_review(room, principal.actor, job_id, first_row=first_row, last_row=last_row)
        )

    @table.route(
        "POST",
        "/v1/jobs/{job_id}/votes",
        rule=OnReviewQuorum("write"),
        body="json",
        tag="reviews",
        status_code=201,
        response_model=JobInfo,
        summary="Vote on a job's outputs; the vote completing the quorum releases them",
    )
    def cast_vote(room: Room, principal: CurrentPrincipal, job_id: str, new: NewVote) -> JobInfo:
        return job_info(
            vote(
                room,
                principal.actor,
                job_id,
                Decision(new.decision),
                new.reason,
                offered_signature(new.signed),
            )
        )

    @table.route(
        "POST",
        "/v1/contracts/{contract_id}/code-approvals",
        rule=OnReviewQuorum("write", "contract_id"),
        body="json",
        tag="reviews",
        status_code=201,
        response_model=CodeApprovals,
        summary="Approve code by hash for real runs (contracts that require code review)",
    )
    def approve(
        room: Room, principal: CurrentPrincipal, contract_id: str, approval: CodeApproval
    ) -> CodeApprovals:
        code = CodeIdentity(approval.code_hash, approval.interpreter, approval.entry)
        count = approve_code(
            room, principal.actor, contract_id, code, offered_signature(approval.signed)
        )
        return CodeApprovals(code_hash=approval.code_hash, approvals=count)

    @table.route(
        "GET",
        "/v1/jobs/{job_id}/result",
        rule=JobRole("read", (Role.RECIPIENT,)),
        rate="download",
        tag="results",
        response_model=SealedResultInfo,
        summary="The released result sealed to this recipient's key, with its receipt",
    )
    def result(room: Room, principal: CurrentPrincipal, job_id: str) -> SealedResultInfo:
        return sealed_result_info(download_result(room, principal.actor, job_id))
