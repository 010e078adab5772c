"""The contract's PSI limits as the protocol cores see them.

The job gate checks the contract (``contracts.check_psi_request``) before a
session exists; the cores check the same numbers again on the messages
themselves, because a message is what a dishonest client controls.
"""

from __future__ import annotations

from dataclasses import dataclass

from contracts import PsiRevealMode, PsiRules, PsiSumRules
from jobs.psi.errors import IntersectionTooSmall, ModeNotAllowed, PartnerSetTooSmall, SetTooLarge

# Without a contract-specific cap, a list above this is refused (issue 9: "10 million
# rows over a contract's cap"): it bounds the owner's work and memory per run.
DEFAULT_SET_CAP = 2_000_000

# The largest partner message carries one blinded point (32-33 bytes plus framing) per
# identifier, or a handful of 512-byte ciphertexts; 64 bytes an identifier and a fixed
# allowance for headers bound every message of every engine.
BYTES_PER_PARTNER_ID = 64
MESSAGE_OVERHEAD_BYTES = 1024 * 1024


def max_message_bytes(partner_set_size: int) -> int:
    """The most one partner message may weigh, for a run opened for ``partner_set_size``.

    The partner announced its set size when it opened the run and the gate judged
    it; a message far heavier than that set can be is junk, refused before it is read.
    """
    return MESSAGE_OVERHEAD_BYTES + max(partner_set_size, 0) * BYTES_PER_PARTNER_ID


@dataclass(frozen=True)
class PsiLimits:
    min_partner_set_size: int
    min_intersection_size: int
    set_cap: int = DEFAULT_SET_CAP
    modes: frozenset[PsiRevealMode] = frozenset({PsiRevealMode.CARDINALITY})

    @classmethod
    def from_rules(cls, rules: PsiRules | PsiSumRules, set_cap: int = DEFAULT_SET_CAP) -> PsiLimits:
        modes = frozenset(rules.reveal) if isinstance(rules, PsiRules) else frozenset()
        return cls(
            min_partner_set_size=rules.min_partner_set_size,
            min_intersection_size=rules.min_intersection_size,
            set_cap=set_cap,
            modes=modes or frozenset({PsiRevealMode.CARDINALITY}),
        )

    def check_mode(self, mode: PsiRevealMode) -> None:
        if mode not in self.modes:
            raise ModeNotAllowed(mode.value, tuple(sorted(m.value for m in self.modes)))

    def check_partner_size(self, size: int) -> None:
        if size > self.set_cap:
            raise SetTooLarge("partner set", cap=self.set_cap)
        if size < self.min_partner_set_size:
            raise PartnerSetTooSmall(size, self.min_partner_set_size)

    def check_owner_size(self, size: int) -> None:
        if size > self.set_cap:
            raise SetTooLarge("owner set", cap=self.set_cap)

    def check_intersection(self, size: int) -> None:
        if size < self.min_intersection_size:
            raise IntersectionTooSmall(self.min_intersection_size)
