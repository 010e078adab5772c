"""Hostile jobs trying to reach a network: every socket family but AF_UNIX is refused."""

from __future__ import annotations

from tests.fixtures.sandbox import Attack
from tests.hostile.checks import assert_refused, refusal_of

SOCKET_ATTEMPT = """
import socket
try:
    s = socket.socket({family}, {kind}{proto})
    {use}
    succeeded({what!r})
except OSError as error:
    blocked({what!r}, error)
"""


def _socket(what: str, family: str, kind: str, use: str = "pass", proto: str = "") -> str:
    return SOCKET_ATTEMPT.format(what=what, family=family, kind=kind, use=use, proto=proto)


def test_a_tcp_connection_cannot_be_opened(attack: Attack) -> None:
    record = attack.run(
        _socket("tcp", "socket.AF_INET", "socket.SOCK_STREAM", "s.connect(('1.1.1.1', 443))")
    )
    assert_refused(record, "tcp")
    assert "Address family not supported" in refusal_of(record, "tcp")


def test_a_udp_datagram_cannot_be_sent(attack: Attack) -> None:
    record = attack.run(
        _socket("udp", "socket.AF_INET", "socket.SOCK_DGRAM", "s.sendto(b'x', ('8.8.8.8', 53))")
    )
    assert_refused(record, "udp")


def test_an_ipv6_socket_cannot_be_opened(attack: Attack) -> None:
    record = attack.run(_socket("tcp6", "socket.AF_INET6", "socket.SOCK_STREAM"))
    assert_refused(record, "tcp6")


def test_a_raw_socket_cannot_be_opened(attack: Attack) -> None:
    record = attack.run(
        _socket("raw", "socket.AF_INET", "socket.SOCK_RAW", proto=", socket.IPPROTO_ICMP")
    )
    assert_refused(record, "raw")


def test_a_netlink_socket_cannot_be_opened(attack: Attack) -> None:
    record = attack.run(_socket("netlink", "socket.AF_NETLINK", "socket.SOCK_RAW", proto=", 0"))
    assert_refused(record, "netlink")


def test_a_packet_socket_cannot_be_opened(attack: Attack) -> None:
    record = attack.run(_socket("packet", "socket.AF_PACKET", "socket.SOCK_RAW"))
    assert_refused(record, "packet")


def test_a_dns_lookup_fails(attack: Attack) -> None:
    code = """
    import socket
    try:
        print(socket.getaddrinfo("pypi.org", 443))
        succeeded("dns")
    except OSError as error:
        blocked("dns", error)
    """
    record = attack.run(code)
    assert_refused(record, "dns")


def test_the_only_network_interface_is_loopback(attack: Attack) -> None:
    code = """
    names = [line.split(":")[0].strip() for line in open("/proc/net/dev").read().splitlines()[2:]]
    if names == ["lo"]:
        print(f"blocked: interfaces: only {names}")
    else:
        succeeded("interfaces", names)
    """
    record = attack.run(code)
    assert_refused(record, "interfaces")


def test_a_unix_socket_pair_still_works_inside_the_job(attack: Attack) -> None:
    # The filter refuses families, not IPC: multiprocessing needs AF_UNIX.
    code = """
    import socket
    left, right = socket.socketpair(socket.AF_UNIX)
    left.send(b"ping")
    print("unix ok:", right.recv(4))
    """
    record = attack.run(code)
    assert "unix ok: b'ping'" in record.stdout.text, record.stderr.text
