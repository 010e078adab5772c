"""Properties over arbitrary input: uploads are hostile text until classified."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from sealroom.datasets import ColumnLevel, classify_column
from sealroom.datasets.classify import DETECTORS, parse_overrides

# Digits, Han characters, separators and anything else, so that values get past
# the detectors' first checks as well as failing them.
cell_text = st.one_of(
    st.text(max_size=30),
    st.text(alphabet="0123456789X -+", min_size=10, max_size=22),
    st.text(alphabet="王李张芳伟市区路号省街0123456789", max_size=20),
)


@settings(max_examples=150, deadline=None)
@given(cell_text)
def test_no_detector_raises_on_any_text(value: str) -> None:
    for detector in DETECTORS:
        assert detector.matches(value) in (True, False)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=20), st.lists(cell_text, max_size=20))
def test_a_classification_is_always_one_level_with_a_bounded_confidence(
    name: str, samples: list[str]
) -> None:
    result = classify_column(name, samples)

    assert 0.0 <= result.confidence <= 1.0
    assert result.level is not ColumnLevel.IMPORTANT
    assert result.matched <= result.sampled <= len(samples)
    assert (result.detector is None) == (result.level is ColumnLevel.GENERAL)


@given(
    st.dictionaries(
        st.text(min_size=1, max_size=10).filter(lambda s: s.strip() == s and s),
        st.sampled_from([level.value for level in ColumnLevel]),
        max_size=5,
    )
)
def test_classify_arguments_round_trip(decisions: dict[str, str]) -> None:
    items = [f"{column}={level}" for column, level in decisions.items()]

    assert parse_overrides(items) == decisions
