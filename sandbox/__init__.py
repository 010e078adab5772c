"""Isolated execution of untrusted job code (issue 6).

The public surface: describe a job (``JobSpec``, ``Limits``), pick a backend
(``select_backend``: bubblewrap or Docker behind one ``Backend`` protocol), run
it (``run_job``) and read what happened (``RunRecord``). A caller that decrypts
inputs opens a memory-backed ``RunVolume`` first (``open_volume``) and puts them
there; a supervisor's start sweeps what killed runs left (``sweep_leftovers``). The hardening is one
``IsolationPolicy`` whose settings cannot be loosened. This room imports nothing
else of the project.
"""

from sandbox.availability import (
    BackendReport,
    check_run_isolation,
    effective_policy,
    report_backends,
)
from sandbox.backend import Backend, JobState, JobStatus
from sandbox.bubblewrap import BubblewrapBackend
from sandbox.docker_backend import DockerBackend
from sandbox.errors import (
    BackendFailure,
    ImageBuildFailed,
    ImageMissing,
    InvalidJobSpec,
    IsolationUnavailable,
    SandboxError,
)
from sandbox.image import (
    Runtime,
    build_runtime,
    find_runtime,
    import_docker_image,
    prune_other_runtimes,
)
from sandbox.leftovers import Leftovers, sweep_leftovers
from sandbox.policy import IsolationPolicy, Limits
from sandbox.reaping import reap_run
from sandbox.record import CollectedOutput, RejectedOutput, RunRecord, StreamCapture, Timings
from sandbox.run_names import tag_of as owner_tag
from sandbox.runner import BACKEND_NAMES, run_job, select_backend
from sandbox.spec import Interpreter, JobSpec, Mode
from sandbox.volume import RunVolume, close_volume, open_volume
from sandbox.workspace import default_work_root

__all__ = [
    "BACKEND_NAMES",
    "Backend",
    "BackendFailure",
    "BackendReport",
    "BubblewrapBackend",
    "CollectedOutput",
    "DockerBackend",
    "ImageBuildFailed",
    "ImageMissing",
    "Interpreter",
    "InvalidJobSpec",
    "IsolationPolicy",
    "IsolationUnavailable",
    "JobSpec",
    "JobState",
    "JobStatus",
    "Leftovers",
    "Limits",
    "Mode",
    "RejectedOutput",
    "RunRecord",
    "RunVolume",
    "Runtime",
    "SandboxError",
    "StreamCapture",
    "Timings",
    "build_runtime",
    "check_run_isolation",
    "close_volume",
    "default_work_root",
    "effective_policy",
    "find_runtime",
    "import_docker_image",
    "open_volume",
    "owner_tag",
    "prune_other_runtimes",
    "reap_run",
    "report_backends",
    "run_job",
    "select_backend",
    "sweep_leftovers",
]
