"""Mainland mobile numbers spelt every way a partner's list spells them, from a seed."""

from __future__ import annotations

import random

SPELLINGS = (
    "{d}",
    "+86{d}",
    "+86 {a}-{b}-{c}",
    "0086{d}",
    "86{d}",
    "{a} {b} {c}",
    " {d} ",
    "{a}\t{b}\t{c}",
    "{a}\u00a0{b}\u3000{c}",
    "+86-{a}--{b} {c}\n",
)
# Digits of other scripts: phonenumbers reads them as ASCII digits, and so must we.
FULLWIDTH = str.maketrans("0123456789", "".join(chr(0xFF10 + d) for d in range(10)))
ARABIC_INDIC = str.maketrans("0123456789", "".join(chr(0x0660 + d) for d in range(10)))


def numbers(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    out = []
    for _ in range(count):
        # Every leading pair from 10 to 19: valid blocks, unassigned ones and non-mobiles.
        digits = f"1{rng.randrange(10)}" + "".join(rng.choice("0123456789") for _ in range(9))
        spelling = rng.choice(SPELLINGS)
        text = spelling.format(d=digits, a=digits[:3], b=digits[3:7], c=digits[7:])
        if rng.random() < 0.1:
            # A few digits in another script, at a random place.
            cut = rng.randrange(len(text))
            text = text[:cut] + text[cut:].translate(rng.choice((FULLWIDTH, ARABIC_INDIC)))
        out.append(text)
    return out
