"""The runtime recipe: its content hash and the apt mirror debootstrap uses."""

from __future__ import annotations

from sandbox import recipe

DEB822 = """Types: deb
URIs: http://mirror.example.org/debian
Suites: bookworm bookworm-updates
Components: main

Types: deb
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
"""


def test_the_mirror_comes_from_deb822_sources() -> None:
    assert recipe.apt_mirror([DEB822]) == "http://mirror.example.org/debian"


def test_the_mirror_comes_from_one_line_sources_skipping_other_archives() -> None:
    text = (
        "deb https://packages.cloud.google.com/apt cloud-sdk-bookworm main\n"
        "deb [arch=amd64] http://ftp.cn.debian.org/debian/ bookworm main\n"
    )
    assert recipe.apt_mirror([text]) == "http://ftp.cn.debian.org/debian"


def test_without_a_known_mirror_the_debian_default_is_used() -> None:
    assert recipe.apt_mirror(["deb http://example.org/ubuntu jammy main\n"]) == (
        recipe.FALLBACK_MIRROR
    )


def test_the_recipe_key_is_stable_and_names_the_pins() -> None:
    assert recipe.recipe_key() == recipe.recipe_key()
    assert len(recipe.recipe_key()) == 16
    assert any(pin.startswith("pandas==") for pin in recipe.PYTHON_PACKAGES)
