"""`sealroom keys generate|rotate|backup|restore`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from kms import generate_party_keys, save_party_key_file
from sealroom.cli.clients import note_runs_locally
from sealroom.cli.session import ActingParty, acting, console, opened, read_secret
from sealroom.errors import AlreadyExists
from sealroom.service.keys import backup_keys, restore_keys, rotate_master_key

keys_app = typer.Typer(help="Party key pairs and the master key.", no_args_is_help=True)


@keys_app.command("generate")
def generate(
    out: Annotated[Path, typer.Option(help="Where to write the private key file.")],
) -> None:
    """Generate your own key pair on your own machine; register only the .pub.json."""
    note_runs_locally()
    public_file = out.with_name(out.name + ".pub.json")
    if public_file.exists():
        raise AlreadyExists("public-key file", str(public_file))
    keys = generate_party_keys()
    save_party_key_file(
        out, keys, read_secret("SEALROOM_KEY_PASSPHRASE", "Passphrase for your key file")
    )
    public_file.write_text(json.dumps(keys.public.to_json(), indent=2) + "\n", encoding="utf-8")
    console.print(f"private keys: {out} (keep it; it never leaves this machine)")
    console.print(f"public keys:  {public_file} (send this to the platform administrator)")


@keys_app.command("rotate")
def rotate(
    keep_old: Annotated[
        bool, typer.Option(help="Keep the old master key in the keyring after re-wrapping.")
    ] = False,
    as_party: ActingParty = None,
) -> None:
    """New master key; every data key re-wrapped under it; data files untouched."""
    with opened() as room:
        report = rotate_master_key(room, acting(room, as_party), retire_old=not keep_old)
    console.print(
        f"master key is now {report.new_master_key_id}; re-wrapped {report.rewrapped} data keys"
        + (f"; retired {', '.join(report.retired)}" if report.retired else "")
    )


@keys_app.command("backup")
def backup(file: Path, as_party: ActingParty = None) -> None:
    """Write the wrapped key store to FILE (useless without the master key)."""
    with opened() as room:
        count = backup_keys(room, acting(room, as_party), file)
    console.print(f"backed up {count} wrapped data keys to {file}")


@keys_app.command("restore")
def restore(file: Path, as_party: ActingParty = None) -> None:
    """Restore wrapped data keys from FILE; each is checked to open first."""
    with opened() as room:
        count = restore_keys(room, acting(room, as_party), file)
    console.print(f"restored {count} wrapped data keys from {file}")
