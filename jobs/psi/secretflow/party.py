"""One party of a secretflow PSI run: the program that runs inside the engine's own env.

It is started by ``jobs.psi.secretflow.party_process`` as ``<engine python> party.py SPEC``
and uses the standard library and ``spu`` only, because it runs in the virtualenv
that ``scripts/secretflow-env.sh`` builds (spu pins numpy<2; Sealroom's own env has
numpy 2). It never imports Sealroom.

SPEC is a JSON file written by the core into the party's private 0700 directory::

    {"session": "j-...", "rank": 0, "receiver_rank": 1, "protocol": "rr22",
     "addresses": ["127.0.0.1:61000", "127.0.0.1:53211"],
     "ids_file": ".../ids.csv", "output_file": ".../matched.csv",
     "result_file": ".../result.json",
     "certificate": ".../self.crt", "private_key": ".../self.key",
     "peer_certificate": ".../peer.crt",
     "connect_timeout_seconds": 30, "receive_timeout_seconds": 120}

It joins the TLS link (its own certificate, the peer's as the only CA), runs
``psi_execute`` and writes ``result_file``: ``{"intersection_size": n, "set_size": m}``
(``intersection_size`` is -1 for the party that is not the receiver: spu tells it
nothing). The receiver's matched identifiers are in ``output_file``. On any failure it
prints one line starting ``secretflow party:`` to stderr and exits non-zero:
2 for a bad spec or a missing engine, 3 when the link cannot be set up, 4 when the
protocol fails.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import types
from pathlib import Path
from typing import Any

EXIT_BAD_SPEC = 2
EXIT_LINK_FAILED = 3
EXIT_PROTOCOL_FAILED = 4
PROTOCOLS = ("rr22", "kkrt", "ecdh")
PARTY_NAMES = ("owner", "partner")


class PartyFailure(Exception):
    def __init__(self, exit_code: int, message: str) -> None:
        super().__init__(message)
        self.exit_code = exit_code


def _load_spu() -> tuple[Any, Any]:
    """``spu.libpsi`` and ``spu.libspu`` without running ``spu/__init__``.

    The package's ``__init__`` imports jax and the SPU compiler (about 2 s on two
    cores) that PSI never uses; a bare package object with the right search path
    loads the two extension modules alone.
    """
    if "spu" not in sys.modules:
        spec = importlib.util.find_spec("spu")
        if spec is None or not spec.submodule_search_locations:
            raise PartyFailure(
                EXIT_BAD_SPEC,
                "spu is not installed in this python: build the engine env with "
                "`bash scripts/secretflow-env.sh`",
            )
        package = types.ModuleType("spu")
        package.__path__ = list(spec.submodule_search_locations)
        sys.modules["spu"] = package
    from spu import libpsi, libspu  # type: ignore[import-not-found, unused-ignore]  # noqa: PLC0415

    return libpsi, libspu


def _field(spec: dict[str, Any], name: str, kind: type) -> Any:
    value = spec.get(name)
    if not isinstance(value, kind) or (isinstance(value, bool) and kind is int):
        raise PartyFailure(EXIT_BAD_SPEC, f"the job spec's {name!r} is missing or not a {kind}")
    return value


def _link_description(libspu: Any, spec: dict[str, Any]) -> Any:
    link = libspu.link
    desc = link.Desc()
    desc.id = _field(spec, "session", str)
    addresses = _field(spec, "addresses", list)
    if len(addresses) != len(PARTY_NAMES):
        raise PartyFailure(EXIT_BAD_SPEC, "the job spec must name two addresses")
    for name, address in zip(PARTY_NAMES, addresses, strict=True):
        desc.add_party(name, str(address))
    connect_ms = 1000 * _field(spec, "connect_timeout_seconds", int)
    # brpc retries the first connection; interval x times bounds how long a missing
    # peer is waited for.
    desc.connect_retry_interval_ms = 100
    desc.connect_retry_times = max(1, connect_ms // desc.connect_retry_interval_ms)
    # A message to a peer that is not up yet is retried; brpc's default first pause is
    # 1 s, which every run would pay because the owner starts before the partner.
    desc.retry_opts.retry_interval_ms = 100
    desc.retry_opts.retry_interval_incr_ms = 100
    desc.retry_opts.max_retry_interval_ms = 1000
    desc.retry_opts.max_retry = max(3, connect_ms // 500)
    desc.recv_timeout_ms = 1000 * _field(spec, "receive_timeout_seconds", int)
    desc.enable_ssl = True
    # The same identity serves both directions: every party is a server (it receives
    # the peer's pushes) and a client (it pushes to the peer), and each end checks the
    # other against the one certificate it was given for this session.
    for options in (desc.client_ssl_opts, desc.server_ssl_opts):
        options.cert.certificate_path = _field(spec, "certificate", str)
        options.cert.private_key_path = _field(spec, "private_key", str)
        options.verify.ca_file_path = _field(spec, "peer_certificate", str)
        options.verify.verify_depth = 1
    return desc


def _protocol_config(libpsi: Any, spec: dict[str, Any]) -> Any:
    protocol = _field(spec, "protocol", str)
    if protocol not in PROTOCOLS:
        raise PartyFailure(EXIT_BAD_SPEC, f"protocol {protocol!r} is not one of {PROTOCOLS}")
    config = libpsi.PsiProtocolConfig()
    config.protocol = {
        "rr22": libpsi.PsiProtocol.PROTOCOL_RR22,
        "kkrt": libpsi.PsiProtocol.PROTOCOL_KKRT,
        "ecdh": libpsi.PsiProtocol.PROTOCOL_ECDH,
    }[protocol]
    config.receiver_rank = _field(spec, "receiver_rank", int)
    # Only the receiver gets the intersection: the other party learns nothing from spu.
    config.broadcast_result = False
    if protocol == "ecdh":
        ecdh = libpsi.EcdhParams()
        ecdh.curve = libpsi.EllipticCurveType.CURVE_25519
        config.ecdh_params = ecdh
    return config


def _execute_config(libpsi: Any, spec: dict[str, Any]) -> Any:
    inputs = libpsi.InputParams()
    inputs.path = _field(spec, "ids_file", str)
    inputs.selected_keys = ["id"]
    # The core deduplicates while normalising; saying so skips spu's own pass.
    inputs.keys_unique = True
    outputs = libpsi.OutputParams()
    outputs.path = _field(spec, "output_file", str)
    outputs.disable_alignment = True
    config = libpsi.PsiExecuteConfig()
    config.protocol_conf = _protocol_config(libpsi, spec)
    config.input_params = inputs
    config.output_params = outputs
    return config


def _remove_trace(spec_path: Path) -> None:
    # psi_execute writes a timing trace to /tmp/psi_<random>.trace whatever TMPDIR says;
    # it holds this program's command line (the spec path), which identifies ours.
    marker = str(spec_path).encode()
    for trace in Path("/tmp").glob("psi_*.trace"):  # noqa: S108 - the path spu hard-codes
        try:
            if marker in trace.read_bytes():
                trace.unlink()
        except OSError:
            continue


def run(spec_path: Path) -> dict[str, int]:
    try:
        spec = json.loads(spec_path.read_text())
    except (OSError, ValueError) as err:
        raise PartyFailure(EXIT_BAD_SPEC, f"cannot read the job spec: {err}") from err
    if not isinstance(spec, dict):
        raise PartyFailure(EXIT_BAD_SPEC, "the job spec is not a JSON object")
    libpsi, libspu = _load_spu()
    execute_config = _execute_config(libpsi, spec)
    desc = _link_description(libspu, spec)
    try:
        context = libspu.link.create_brpc(desc, _field(spec, "rank", int))
    except RuntimeError as err:
        raise PartyFailure(
            EXIT_LINK_FAILED,
            "the link to the other party could not be set up (it is not there, or its "
            f"certificate is not the one this session pinned): {str(err).strip()[:300]}",
        ) from err
    try:
        report = libpsi.psi_execute(execute_config, context)
    except RuntimeError as err:
        raise PartyFailure(
            EXIT_PROTOCOL_FAILED, f"the PSI protocol failed: {str(err).strip()[:300]}"
        ) from err
    finally:
        _remove_trace(spec_path)
    result = {
        "intersection_size": int(report.intersection_count),
        "set_size": int(report.original_count),
    }
    Path(_field(spec, "result_file", str)).write_text(json.dumps(result))
    return result


def _leave_link(exit_code: int) -> None:
    # No stop_link(): it sends a last message to the peer, and a peer that has already
    # left makes brpc retry for about 9 s and then abort the process (status 255) even
    # though the protocol finished. Every protocol message has been delivered once
    # psi_execute returns, so the process ends here without closing the link politely.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(exit_code)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: party.py SPEC.json", file=sys.stderr)
        return EXIT_BAD_SPEC
    try:
        run(Path(argv[1]))
    except PartyFailure as failure:
        print(f"secretflow party: {failure}", file=sys.stderr)
        _leave_link(failure.exit_code)
    _leave_link(0)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
