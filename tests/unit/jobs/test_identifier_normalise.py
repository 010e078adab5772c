"""Each normaliser alone: what a disguised value is reduced to."""

from __future__ import annotations

import base64

import numpy as np
import pyarrow as pa

from jobs.identifier_normalise import (
    MAX_FACTOR,
    canonical_text,
    decodings,
    digit_keys,
    index_keys,
    national_digit_keys,
    number_candidates,
    reversed_digit_keys,
    squeezed,
    text_candidates,
    visible_text,
)

LENGTHS = frozenset({11, 18})


def texts(*values: str) -> pa.Array:
    return pa.array(values, pa.string())


def keys_of(candidates: object) -> set[str]:
    return set(candidates.keys.to_pylist())  # type: ignore[attr-defined]


def test_visible_text_is_nfkc_without_invisible_characters() -> None:
    full_width = "".join(chr(0xFF10 + int(d)) for d in "18712345678")
    found = visible_text(texts(full_width, "张\u200b伟", "A\u00adB\u2060C", " x\ufeff "))
    assert found.to_pylist() == ["18712345678", "张伟", "ABC", "x"]


def test_canonical_text_is_also_lower_case() -> None:
    assert canonical_text(texts("Wang FANG", "ZW@Example.CN")).to_pylist() == [
        "wang fang",
        "zw@example.cn",
    ]


def test_squeezed_text_keeps_letters_and_digits_only() -> None:
    assert squeezed(texts("w-a-n-g f.a.n.g", "张·伟")).to_pylist() == ["wangfang", "张伟"]


def test_digit_keys_strip_leading_zeros_and_ignore_short_runs() -> None:
    found = digit_keys(texts("0013800138000", "tel 138-0013-8000", "2024", "000001"))
    assert found.to_pylist() == ["13800138000", "13800138000", None, None]


def test_reversed_digit_keys_are_padded_back_to_identifier_lengths() -> None:
    # 13800138000 reversed as a number loses its zeros: 83100831.
    found = reversed_digit_keys(texts("83100831"), LENGTHS).to_pylist()
    assert "13800138" in found and "13800138000" in found


def test_a_country_prefix_is_dropped() -> None:
    assert national_digit_keys(texts("8613800138000", "13800138000")).to_pylist() == [
        "13800138000",
        None,
    ]


def test_decodings_read_base64_urlsafe_hex_url_and_packed_integers() -> None:
    mobile = "13800138000"
    assert mobile in decodings(base64.b64encode(mobile.encode()).decode())
    assert "王芳" in decodings(base64.urlsafe_b64encode("王芳".encode()).decode().rstrip("="))
    assert mobile in decodings(mobile.encode().hex())
    assert "王芳" in decodings("%E7%8E%8B%E8%8A%B3")
    assert mobile in decodings(base64.b64encode(int(mobile).to_bytes(8, "big")).decode())
    assert decodings("13800138000") == []  # plain digits are a number, not base64


def test_text_candidates_decode_nested_encodings_and_mark_them_disguised() -> None:
    twice = base64.b64encode(base64.b64encode(b"13800138000")).decode()
    found = text_candidates(texts(f"label {twice}"), LENGTHS)
    keys = found.keys.to_pylist()
    assert "13800138000" in keys
    assert all(found.disguised[i] for i, k in enumerate(keys) if k == "13800138000")


def test_number_candidates_remove_offsets_and_factors() -> None:
    mobile = 13800138000
    assert str(mobile) in keys_of(number_candidates(np.array([mobile + 0.5]), LENGTHS))
    assert str(mobile) in keys_of(number_candidates(np.array([mobile - 0.25]), LENGTHS))
    assert str(mobile) in keys_of(number_candidates(np.array([mobile * 5]), LENGTHS))
    assert str(mobile) in keys_of(number_candidates(np.array([mobile * MAX_FACTOR]), LENGTHS))
    odd = mobile + 1  # not a multiple of 3: a third of it has a fraction
    assert str(odd) in keys_of(number_candidates(np.array([odd / 3]), LENGTHS))
    assert str(mobile) in keys_of(number_candidates(np.array([-mobile]), LENGTHS))
    beyond = keys_of(number_candidates(np.array([mobile * (MAX_FACTOR + 1)]), LENGTHS))
    assert str(mobile) not in beyond


def test_small_numbers_and_money_make_no_keys() -> None:
    honest = np.array([2024, 12345.67, 0.4821, 1_000_000.5, 987_654.32])
    assert len(number_candidates(honest, LENGTHS)) == 0


def test_index_keys_cover_text_squeezed_and_digit_forms() -> None:
    found = index_keys(texts("Wang Fang", "+86 138-0013-8000"))
    keys = set(found.keys.to_pylist())
    assert {"wang fang", "wangfang", "8613800138000", "13800138000"} <= keys
    assert found.number_lengths == frozenset({11, 13})
