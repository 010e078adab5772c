"""A job's course over HTTP, PSI runs included: submitted, followed, reviewed, released.

Part of ``Client``, as ``sealroom.local.jobs`` is part of ``LocalClient``: each
method is one call of the API's job, review, result and PSI routes.
"""

from __future__ import annotations

import base64
import time
from contextlib import nullcontext
from pathlib import Path
from typing import TYPE_CHECKING

from kms import PartyKeyPair
from sealroom.client.decision_signing import (
    sign_code_approval,
    sign_vote,
    unsigned_code_approval,
)
from sealroom.client.errors import ApiError
from sealroom.client.http import PSI_MESSAGE_TIMEOUT, Connection, segment
from sealroom.client.models import (
    CodeApprovals,
    ContractInfo,
    FilesInfo,
    JobInfo,
    JobLogs,
    NewJob,
    NewVote,
    PsiOpen,
    PsiRunInfo,
    ReviewInfo,
    SealedResultInfo,
    WhoAmI,
)
from sealroom.client.results import write_files
from sealroom.client.row_window import PAGE_ROWS


class RemoteJobs:
    """Jobs, their review and their release, as ``SealroomClient`` asks for them."""

    # The API lists jobs per contract, for those who follow it.
    lists_every_job = False
    # The connection the calls travel over; ``Client`` opens it.
    _server: Connection

    if TYPE_CHECKING:  # ``Client`` defines them; signing a decision reads both

        def me(self) -> WhoAmI: ...

        def contract(self, contract_id: str, version: int | None = None) -> ContractInfo: ...

    # -- jobs -----------------------------------------------------------------

    def submit_job(
        self,
        contract_id: str,
        code: str | Path,
        *,
        mode: str = "debug",
        code_name: str | None = None,
    ) -> JobInfo:
        """Submits a script (a path, or its text with ``code_name``) under the contract."""
        if isinstance(code, Path):
            text, name = code.read_text("utf-8"), code_name or code.name
        else:
            text, name = code, code_name or "analysis.py"
        body = NewJob(code_name=name, code=text, mode=mode)
        return self._server.post(f"/v1/contracts/{segment(contract_id)}/jobs", JobInfo, body)

    def jobs(self, contract_id: str) -> list[JobInfo]:
        return self._server.get_list(f"/v1/contracts/{segment(contract_id)}/jobs", JobInfo)

    def every_job(self) -> list[JobInfo]:
        """Refused: the API lists jobs per contract (``jobs``), for those who follow it."""
        raise ApiError(
            "the API lists jobs per contract, for those who follow it: call jobs(contract_id)", 0
        )

    def job(self, job_id: str) -> JobInfo:
        return self._server.get(f"/v1/jobs/{segment(job_id)}", JobInfo)

    def job_logs(self, job_id: str) -> JobLogs:
        return self._server.get(f"/v1/jobs/{segment(job_id)}/logs", JobLogs)

    def cancel_job(self, job_id: str) -> JobInfo:
        return JobInfo.model_validate(
            self._server.send("POST", f"/v1/jobs/{segment(job_id)}/cancel").json()
        )

    def debug_outputs(self, job_id: str, out_dir: Path | None = None) -> dict[str, bytes]:
        """A debug run's outputs; written into ``out_dir`` too when given."""
        info = self._server.get(f"/v1/jobs/{segment(job_id)}/outputs", FilesInfo)
        files = {name: base64.b64decode(data) for name, data in info.files.items()}
        if out_dir is not None:
            write_files(out_dir, files)
        return files

    def wait_for_job(self, job_id: str, *, timeout: float = 900, poll: float = 2) -> JobInfo:
        """Waits (with a spinner) until the job leaves submitted/queued/running."""
        deadline = time.monotonic() + timeout
        status = self._server.console.status(f"waiting for {job_id}", spinner="dots")
        with status if self._server.progress else nullcontext():
            while True:
                info = self.job(job_id)
                if info.finished:
                    return info
                if time.monotonic() > deadline:
                    raise ApiError(
                        f"{job_id} is still {info.state} after {timeout:g} s: check that a "
                        "worker runs (`sealroom worker`) and look again later",
                        0,
                    )
                if self._server.progress:
                    status.update(f"{job_id} is {info.state}")
                time.sleep(poll)

    def wait_for_submitted(self, job_id: str) -> JobInfo:
        """A job just submitted, once the server's worker has run it."""
        return self.wait_for_job(job_id)

    def sample_drift(self, job_id: str) -> dict[str, list[str]]:
        """None: the sample-drift findings are in the run record, kept on the server."""
        return {}

    # -- reviews and results --------------------------------------------------

    def reviews(self) -> list[JobInfo]:
        return self._server.get_list("/v1/reviews", JobInfo)

    def review(self, job_id: str, *, first_row: int = 1, last_row: int = PAGE_ROWS) -> ReviewInfo:
        """What a reviewer sees, each output table from ``first_row`` to ``last_row``."""
        return self._server.get(
            f"/v1/jobs/{segment(job_id)}/review",
            ReviewInfo,
            first_row=first_row,
            last_row=last_row,
        )

    def vote(
        self,
        job_id: str,
        decision: str = "approve",
        reason: str = "",
        keys: PartyKeyPair | None = None,
    ) -> JobInfo:
        """Votes on a job's outputs, signed here with ``keys`` over the outputs and code
        the review shows (without keys, only the platform's seat: the service signs it)."""
        signed = None
        if keys is not None:
            review = self.review(job_id)
            contract = self.contract(review.job.contract_id, review.job.contract_version)
            signed = sign_vote(review, contract, self.me(), decision, reason, keys)
        body = NewVote.model_validate({"decision": decision, "reason": reason, "signed": signed})
        return self._server.post(f"/v1/jobs/{segment(job_id)}/votes", JobInfo, body)

    def approve_code(
        self,
        contract_id: str,
        code: bytes | Path,
        entry: str | None = None,
        keys: PartyKeyPair | None = None,
    ) -> CodeApprovals:
        """Approves code by its hash, interpreter and entry name (the file's name unless
        given), computed and signed here from the code the reviewer read."""
        data = code.read_bytes() if isinstance(code, Path) else code
        name = entry or (code.name if isinstance(code, Path) else "")
        if keys is None:
            body = unsigned_code_approval(data, name)
        else:
            body = sign_code_approval(self.contract(contract_id), self.me(), data, name, keys)
        return self._server.post(
            f"/v1/contracts/{segment(contract_id)}/code-approvals", CodeApprovals, body
        )

    def sealed_result(self, job_id: str) -> SealedResultInfo:
        """The released result sealed to the caller's key (open it with ``Partner``)."""
        return self._server.get(f"/v1/jobs/{segment(job_id)}/result", SealedResultInfo)

    # -- PSI (the partner's side runs in sealroom.client.psi_run) ---------------

    def open_psi(
        self,
        contract_id: str,
        *,
        kind: str = "psi",
        partner_set_size: int,
        mode: str | None = None,
    ) -> PsiRunInfo:
        body = PsiOpen(kind=kind, partner_set_size=partner_set_size, mode=mode)
        return self._server.post(f"/v1/contracts/{segment(contract_id)}/psi", PsiRunInfo, body)

    def psi_message(self, job_id: str, message: bytes) -> bytes | None:
        """Sends one protocol message; the owner's reply, or None when there is none."""
        response = self._server.send(
            "POST",
            f"/v1/psi/{segment(job_id)}/messages",
            content=message,
            headers={"Content-Type": "application/octet-stream"},
            timeout=PSI_MESSAGE_TIMEOUT,
        )
        return None if response.status_code == 204 else response.content
