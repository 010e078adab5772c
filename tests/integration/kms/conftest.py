"""One keyring test suite, two providers: a passphrase file and a real SoftHSM2 token."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from kms import Keyring, PassphraseKeyring, Pkcs11Keyring
from tests.fixtures.softhsm import SoftHsmToken

PASSPHRASE = "provider-suite-passphrase"


@dataclass
class KeyringUnderTest:
    """A provider as the suite sees it: open the keyring, and open it again from storage."""

    provider: str
    opener: Callable[[], Keyring]
    opened: list[Keyring] = field(default_factory=list)

    def open(self) -> Keyring:
        keyring = self.opener()
        self.opened.append(keyring)
        return keyring

    def close_all(self) -> None:
        for keyring in self.opened:
            if isinstance(keyring, Pkcs11Keyring):
                keyring.close()


def _passphrase_provider(tmp_path: Path) -> KeyringUnderTest:
    path = tmp_path / "home" / "master.key"

    def opener() -> Keyring:
        if path.exists():
            return PassphraseKeyring.open(path, PASSPHRASE)
        return PassphraseKeyring.create(path, PASSPHRASE)

    return KeyringUnderTest("passphrase", opener)


def _pkcs11_provider(token: SoftHsmToken) -> KeyringUnderTest:
    return KeyringUnderTest(
        "pkcs11", lambda: Pkcs11Keyring.open(token.library, token.label, token.pin)
    )


@pytest.fixture(
    params=[
        pytest.param("passphrase", marks=pytest.mark.integration),
        pytest.param("pkcs11", marks=[pytest.mark.integration, pytest.mark.softhsm]),
    ]
)
def provider(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[KeyringUnderTest]:
    if request.param == "pkcs11":
        under_test = _pkcs11_provider(request.getfixturevalue("softhsm_token"))
    else:
        under_test = _passphrase_provider(tmp_path)
    yield under_test
    under_test.close_all()
