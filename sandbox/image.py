"""The job runtime on disk and in the engine: find it, or build it once per machine.

Layout, outside any per-user SEALROOM_HOME so that CI builds once per machine and
every later run reuses it::

    /var/lib/sealroom/runtimes/<recipe key>/
        rootfs/          debootstrap minbase + a venv with the analysis libraries
        manifest.json    key, python version, packages, docker image id

The Docker image is ``docker import`` of that same rootfs, pinned by its image id
(a content digest) and never pulled: there is no registry (issue 6, point 2).
Building is idempotent: each step is skipped when its result already exists.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sandbox import recipe
from sandbox.errors import ImageBuildFailed, ImageMissing

RUNTIME_ROOT_ENV = "SEALROOM_RUNTIME_DIR"
DEFAULT_RUNTIME_ROOT = Path("/var/lib/sealroom")

Log = Callable[[str], None]


@dataclass(frozen=True)
class Runtime:
    """A built runtime: the read-only root both backends run jobs in."""

    key: str
    directory: Path
    docker_image_id: str | None

    @property
    def rootfs(self) -> Path:
        return self.directory / "rootfs"

    @property
    def manifest_path(self) -> Path:
        return self.directory / "manifest.json"


def runtime_root() -> Path:
    configured = os.environ.get(RUNTIME_ROOT_ENV)
    return Path(configured) if configured else DEFAULT_RUNTIME_ROOT


def runtime_directory(root: Path | None = None, key: str | None = None) -> Path:
    return (root or runtime_root()) / "runtimes" / (key or recipe.recipe_key())


def find_runtime(root: Path | None = None) -> Runtime:
    """The runtime for the current recipe, or ``ImageMissing``."""
    directory = runtime_directory(root)
    manifest_path = directory / "manifest.json"
    if not manifest_path.is_file():
        raise ImageMissing(f"the job runtime {recipe.recipe_key()} ({directory})")
    manifest = json.loads(manifest_path.read_text())
    image_id = manifest.get("docker_image_id")
    return Runtime(
        key=str(manifest["key"]),
        directory=directory,
        docker_image_id=str(image_id) if image_id else None,
    )


def build_runtime(root: Path | None = None, log: Log = print) -> Runtime:
    """Build the rootfs for the current recipe unless it exists (1 debootstrap, 2 venv,
    3 wheels, 4 byte-compile, 5 job mount points, 6 publish atomically)."""
    directory = runtime_directory(root)
    if (directory / "manifest.json").is_file():
        log(f"runtime {directory.name} already built at {directory}")
        return find_runtime(root)
    directory.parent.mkdir(parents=True, exist_ok=True)
    directory.parent.chmod(0o755)
    directory.parent.parent.chmod(0o755)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}-", dir=directory.parent))
    try:
        rootfs = staging / "rootfs"
        mirror = recipe.apt_mirror(_apt_sources())
        log(f"1/6 debootstrap {recipe.DEBIAN_SUITE} from {mirror}")
        _step(
            "debootstrap",
            [
                "debootstrap",
                "--variant=minbase",
                f"--include={','.join(recipe.DEBIAN_PACKAGES)}",
                recipe.DEBIAN_SUITE,
                str(rootfs),
                mirror,
            ],
            staging,
        )
        log("2/6 venv")
        _step(
            "venv",
            [
                "chroot",
                str(rootfs),
                "/usr/bin/python3",
                "-m",
                "venv",
                "--without-pip",
                recipe.VENV_DIR,
            ],
            staging,
        )
        log(f"3/6 wheels: {len(recipe.PYTHON_PACKAGES)} pinned packages")
        _install_wheels(rootfs / recipe.SITE_PACKAGES.lstrip("/"), staging)
        log("4/6 byte-compile (the runtime is read-only when jobs run)")
        _step(
            "compile",
            [
                "chroot",
                str(rootfs),
                recipe.PYTHON_BIN,
                "-m",
                "compileall",
                "-q",
                "-j",
                "0",
                recipe.SITE_PACKAGES,
            ],
            staging,
        )
        log("5/6 job mount points, setuid bits removed")
        _prepare_job_mount_points(rootfs)
        manifest = {
            "key": directory.name,
            "suite": recipe.DEBIAN_SUITE,
            "mirror": mirror,
            "python_packages": list(recipe.PYTHON_PACKAGES),
            "docker_image_id": None,
        }
        (staging / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        staging.chmod(0o755)
        log(f"6/6 publish {directory}")
        try:
            staging.rename(directory)
        except OSError:
            if not (directory / "manifest.json").is_file():
                raise
            # another build (CI job, test session) published the same recipe first
            shutil.rmtree(staging, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return find_runtime(root)


def import_docker_image(runtime: Runtime, client: Any, log: Log = print) -> Runtime:
    """``docker import`` the rootfs unless the engine already holds the pinned image id."""
    if runtime.docker_image_id and _engine_has_image(client, runtime.docker_image_id):
        log(f"docker image {runtime.docker_image_id[:19]} already present")
        return runtime
    log("docker import of the runtime rootfs")
    with tempfile.NamedTemporaryFile(suffix=".tar", dir=runtime.directory.parent) as tar_file:
        with tarfile.open(fileobj=tar_file, mode="w") as archive:
            # numeric owners and no device nodes: the engine creates /dev itself.
            archive.add(str(runtime.rootfs), arcname=".", filter=_tar_filter)
        tar_file.flush()
        tag = runtime.key
        client.api.import_image(
            src=tar_file.name,
            repository=recipe.DOCKER_REPOSITORY,
            tag=tag,
            changes=["WORKDIR /tmp", f"ENV PATH={recipe.VENV_DIR}/bin:/usr/bin:/bin"],
        )
    image = client.images.get(f"{recipe.DOCKER_REPOSITORY}:{tag}")
    manifest = json.loads(runtime.manifest_path.read_text())
    manifest["docker_image_id"] = image.id
    runtime.manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
    log(f"docker image {image.id} tagged {recipe.DOCKER_REPOSITORY}:{tag}")
    return Runtime(key=runtime.key, directory=runtime.directory, docker_image_id=image.id)


def _engine_has_image(client: Any, image_id: str) -> bool:
    import docker.errors  # noqa: PLC0415 - the SDK is only needed with the Docker backend

    try:
        client.images.get(image_id)
    except docker.errors.ImageNotFound:
        return False
    return True


def _tar_filter(info: tarfile.TarInfo) -> tarfile.TarInfo | None:
    if info.isdev() or info.name.startswith(("./dev/", "./proc/", "./sys/")):
        return None
    return info


def _apt_sources() -> list[str]:
    paths = [Path("/etc/apt/sources.list")]
    sources_d = Path("/etc/apt/sources.list.d")
    if sources_d.is_dir():
        paths.extend(sorted(sources_d.iterdir()))
    return [path.read_text(errors="replace") for path in paths if path.is_file()]


def _install_wheels(site_packages: Path, staging: Path) -> None:
    site_packages.mkdir(parents=True, exist_ok=True)
    uv = shutil.which("uv")
    if uv:
        command = [
            uv, "pip", "install", "--quiet", "--no-deps", "--only-binary", ":all:",
            "--python-version", "3.11", "--python-platform", "x86_64-manylinux_2_28",
            "--target", str(site_packages), *recipe.PYTHON_PACKAGES,
        ]  # fmt: skip
    else:
        command = [
            "python3", "-m", "pip", "install", "--quiet", "--no-deps", "--only-binary=:all:",
            "--python-version", "3.11", "--implementation", "cp",
            "--platform", "manylinux_2_28_x86_64", "--platform", "manylinux2014_x86_64",
            "--target", str(site_packages), *recipe.PYTHON_PACKAGES,
        ]  # fmt: skip
    _step("wheels", command, staging)


def _prepare_job_mount_points(rootfs: Path) -> None:
    for mount_point in (recipe.JOB_DIR, recipe.INPUTS_DIR, recipe.OUTPUTS_DIR):
        (rootfs / mount_point.lstrip("/")).mkdir(mode=0o755, exist_ok=True)
    # No setuid or setgid programs in a job's world: no_new_privs already makes
    # the bits inert, this makes them absent (defence in depth).
    for path in rootfs.rglob("*"):
        if path.is_file() and not path.is_symlink():
            mode = path.lstat().st_mode
            if mode & (stat.S_ISUID | stat.S_ISGID):
                path.chmod(stat.S_IMODE(mode) & ~(stat.S_ISUID | stat.S_ISGID))
    # Caches a build leaves behind are of no use to a read-only runtime.
    shutil.rmtree(rootfs / "var/cache/apt/archives", ignore_errors=True)
    (rootfs / "var/cache/apt/archives/partial").mkdir(parents=True, exist_ok=True)


def _step(name: str, command: list[str], staging: Path) -> None:
    log_path = staging / f"build-{name}.log"
    with log_path.open("wb") as log_file:
        result = subprocess.run(command, stdout=log_file, stderr=subprocess.STDOUT, check=False)
    if result.returncode != 0:
        tail = log_path.read_text(errors="replace")[-400:].strip().replace("\n", " | ")
        kept = staging.parent / log_path.name
        shutil.copyfile(log_path, kept)
        raise ImageBuildFailed(name, f"exit status {result.returncode}; log {kept}: {tail}")
    log_path.unlink()


def prune_other_runtimes(
    runtime: Runtime, client: Any | None = None, log: Log = print
) -> tuple[str, ...]:
    """Delete runtimes (and their images) built from other recipes; return their keys."""
    removed: list[str] = []
    for directory in sorted(runtime.directory.parent.iterdir()):
        if directory.name == runtime.key or directory.name.startswith("."):
            continue
        shutil.rmtree(directory, ignore_errors=True)
        removed.append(directory.name)
        log(f"removed old runtime {directory.name}")
    if client is not None:
        for image in client.images.list(name=recipe.DOCKER_REPOSITORY):
            if image.id != runtime.docker_image_id:
                client.images.remove(image.id, force=True)
                log(f"removed old docker image {image.id[:19]}")
    return tuple(removed)
