"""Errors of the sandbox room.

Every error here is a ``SandboxError`` whose message is one full sentence saying
what happened and what to do next. A job whose code merely fails (or is killed by
a limit) is not an error: it is a ``RunRecord`` with a reason in words.

    SandboxError
    ├── IsolationUnavailable   no backend can isolate a job here; names the package to install
    ├── ImageMissing           the job image / runtime is not built; run `sealroom images build`
    ├── ImageBuildFailed       a build step failed; says which and where its log is
    ├── InvalidJobSpec         the caller's job description is wrong (bad input name, missing file)
    └── BackendFailure         the engine or bwrap failed to start the job (not the job's fault)
"""

from __future__ import annotations


class SandboxError(Exception):
    """Root of the sandbox room's errors; ``str(err)`` is the one line shown to people."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class IsolationUnavailable(SandboxError):
    """No backend can isolate a job on this machine, so the job is refused."""

    def __init__(self, backend: str, problem: str, remedy: str) -> None:
        super().__init__(f"{problem}: {remedy}; the job was not run ({backend} backend)")
        self.backend = backend
        self.problem = problem
        self.remedy = remedy


class ImageMissing(SandboxError):
    def __init__(self, what: str) -> None:
        super().__init__(f"{what} is not built on this machine: run `sealroom images build`")
        self.what = what


class ImageBuildFailed(SandboxError):
    def __init__(self, step: str, detail: str) -> None:
        super().__init__(
            f"building the job image failed at step {step!r} ({detail}): "
            "fix the cause and run `sealroom images build` again"
        )
        self.step = step
        self.detail = detail


class InvalidJobSpec(SandboxError):
    pass


class BackendFailure(SandboxError):
    def __init__(self, backend: str, detail: str) -> None:
        super().__init__(
            f"the {backend} backend failed to run the job ({detail}): "
            "check the backend with `sealroom doctor` and try again"
        )
        self.backend = backend
        self.detail = detail
