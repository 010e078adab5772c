"""A job's course through the local store: submitted, run, reviewed, released.

Part of ``LocalClient``; each method is the service call the API's job, review,
result and PSI routes make, returning the same wire model.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

from contracts import RunMode
from jobs import CodeIdentity, Decision, JobState
from kms import PartyKeyPair, PartyPublicKeys
from sealroom.api.convert import (
    job_info,
    logs_info,
    offered_signature,
    review_info,
    sealed_result_info,
)
from sealroom.client.decision_signing import (
    sign_code_approval,
    sign_vote,
    unsigned_code_approval,
)
from sealroom.client.models import (
    CodeApprovals,
    ContractInfo,
    JobInfo,
    JobLogs,
    ReviewInfo,
    SealedResultInfo,
    WhoAmI,
)
from sealroom.client.results import write_files
from sealroom.client.row_window import PAGE_ROWS
from sealroom.errors import ConfigError
from sealroom.local.acting import ActingOnStore
from sealroom.local.psi_transport import LocalPsiTransport
from sealroom.service.actors import Actor
from sealroom.service.job_runner import run_next_job
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

UNFINISHED = (JobState.SUBMITTED, JobState.QUEUED, JobState.RUNNING)


class LocalJobs(ActingOnStore):
    """Jobs, their review and their release, as ``SealroomClient`` asks for them."""

    if TYPE_CHECKING:  # ``LocalClient`` defines them; signing a decision reads both

        def me(self) -> WhoAmI: ...

        def contract(self, contract_id: str, version: int | None = None) -> ContractInfo: ...

    # The store's own machine sees every job, not only those of one contract.
    lists_every_job = True

    # -- jobs -----------------------------------------------------------------

    def submit_job(
        self,
        contract_id: str,
        code: str | Path,
        *,
        mode: str = "debug",
        code_name: str | None = None,
    ) -> JobInfo:
        if isinstance(code, Path):
            data, name = code.read_bytes(), code_name or code.name
        else:
            data, name = code.encode("utf-8"), code_name or "analysis.py"
        view = submit_job(self.room, self.actor, contract_id, data, name, RunMode(mode))
        return job_info(view)

    @property
    def _viewer(self) -> Actor | None:
        # Listing asks for no party; without one, real runs show no details.
        return self.actor if self._as_party else None

    def jobs(self, contract_id: str) -> list[JobInfo]:
        return [job_info(v) for v in list_jobs(self.room, contract_id, viewer=self._viewer)]

    def every_job(self) -> list[JobInfo]:
        return [job_info(v) for v in list_jobs(self.room, viewer=self._viewer)]

    def job(self, job_id: str) -> JobInfo:
        return job_info(job_status(self.room, self.actor, job_id))

    def job_logs(self, job_id: str) -> JobLogs:
        return logs_info(job_logs(self.room, self.actor, job_id))

    def cancel_job(self, job_id: str) -> JobInfo:
        return job_info(cancel_job(self.room, self.actor, job_id))

    def debug_outputs(self, job_id: str, out_dir: Path | None = None) -> dict[str, bytes]:
        files = debug_outputs(self.room, self.actor, job_id)
        if out_dir is not None:
            write_files(out_dir, files)
        return files

    def wait_for_job(self, job_id: str, *, timeout: float = 900, poll: float = 2) -> JobInfo:
        """Waits (with a spinner) until a worker (`sealroom worker`) has run the job."""
        deadline = time.monotonic() + timeout
        room = self.room
        with self._console.status(f"waiting for {job_id}"):
            while (view := job_status(room, self.actor, job_id)).state in UNFINISHED:
                if time.monotonic() > deadline:
                    raise ConfigError(
                        f"{job_id} is still {view.state.value} after {timeout:g} s: check that "
                        "a worker runs (`sealroom worker`) and look again later"
                    )
                time.sleep(poll)
        return job_info(view)

    def wait_for_submitted(self, job_id: str) -> JobInfo:
        """Runs the job now, in this process's sandbox, rather than waiting for a worker."""
        room, actor = self.room, self.actor
        with self._console.status(f"running {job_id} in the sandbox…"):
            run_next_job(room, job_id)
        # What the worker saw in full, the submitter sees as the job's rules allow.
        return job_info(job_status(room, actor, job_id))

    def sample_drift(self, job_id: str) -> dict[str, list[str]]:
        record = job_status(self.room, self.actor, job_id).run_record or {}
        return {
            dataset: [f["message"] for f in drift.get("findings", [])]
            for dataset, drift in (record.get("sample_drift") or {}).items()
        }

    # -- reviews and results --------------------------------------------------

    def reviews(self) -> list[JobInfo]:
        return [job_info(v) for v in list_reviews(self.room, self.actor)]

    def review(self, job_id: str, *, first_row: int = 1, last_row: int = PAGE_ROWS) -> ReviewInfo:
        return review_info(
            show_review(self.room, self.actor, job_id, first_row=first_row, last_row=last_row)
        )

    def vote(
        self,
        job_id: str,
        decision: str = "approve",
        reason: str = "",
        keys: PartyKeyPair | None = None,
    ) -> JobInfo:
        # Signed exactly as over HTTP: over what the review shows, with the caller's key.
        offered = None
        if keys is not None:
            review = self.review(job_id)
            contract = self.contract(review.job.contract_id, review.job.contract_version)
            offered = offered_signature(
                sign_vote(review, contract, self.me(), decision, reason, keys)
            )
        return job_info(vote(self.room, self.actor, job_id, Decision(decision), reason, offered))

    def approve_code(
        self,
        contract_id: str,
        code: bytes | Path,
        entry: str | None = None,
        keys: PartyKeyPair | None = None,
    ) -> CodeApprovals:
        data = code.read_bytes() if isinstance(code, Path) else code
        name = entry or (code.name if isinstance(code, Path) else "")
        if keys is None:
            body = unsigned_code_approval(data, name)
        else:
            body = sign_code_approval(self.contract(contract_id), self.me(), data, name, keys)
        count = approve_code(
            self.room,
            self.actor,
            contract_id,
            CodeIdentity(body.code_hash, body.interpreter, body.entry),
            offered_signature(body.signed),
        )
        return CodeApprovals(code_hash=body.code_hash, approvals=count)

    def sealed_result(self, job_id: str) -> SealedResultInfo:
        return sealed_result_info(download_result(self.room, self.actor, job_id))

    def psi_transport(self, platform_key: PartyPublicKeys | None = None) -> LocalPsiTransport:
        # The store holds the platform's key itself: there is nothing to pin against.
        return LocalPsiTransport(self.room, self.actor)
