"""The `sealroom` command line (Typer + Rich)."""
