"""Who takes part in a contract and in which roles."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import Field

from contracts.names import PartyName, PublicKeyB64, Text
from contracts.section import Section


class Role(StrEnum):
    OWNER = "owner"  # holds a dataset; co-approves the contract; usually reviews outputs
    PLATFORM = "platform"  # operates the service; the second half of dual authorisation
    RECIPIENT = "recipient"  # receives released results (the partner abroad)
    SCIENTIST = "scientist"  # writes and submits analysis code, sees masked samples
    REVIEWER = "reviewer"  # may sit on a review quorum


class Party(Section):
    name: PartyName = Field(description="The party's name in the platform's party registry.")
    roles: Annotated[tuple[Role, ...], Field(min_length=1)] = Field(
        description="Roles granted to this party by this contract only."
    )
    display_name: Text | None = Field(default=None, description="Legal or display name.")
    public_key: PublicKeyB64 | None = Field(
        default=None,
        description=(
            "Ed25519 public key (base64 of 32 bytes). Pinned at propose time so the "
            "contract hash commits to it and approvals verify offline."
        ),
    )
    sealing_key: PublicKeyB64 | None = Field(
        default=None,
        description=(
            "X25519 public key (base64 of 32 bytes) results are sealed to. Pinned at "
            "propose time: release seals only to this key, never to the registry's, so a "
            "swapped or rotated key receives nothing until a new version pins it."
        ),
    )

    def has_role(self, role: Role) -> bool:
        return role in self.roles
