"""Japanese segmentation for the search index works on runs of one script; it must cut
exactly where the character-by-character rule (the module docstring's) cuts."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from generator.search import ZWSP, segment


def char_class(ch: str) -> str:
    o = ord(ch)
    if 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF or 0xF900 <= o <= 0xFAFF or ch in "々〆ヵヶ":
        return "H"
    if 0x30A0 <= o <= 0x30FF or 0x31F0 <= o <= 0x31FF or 0xFF66 <= o <= 0xFF9F:
        return "K"
    if 0x3040 <= o <= 0x309F:
        return "I"
    return "O"


def by_character(text: str) -> str:
    """The rule as first written: one character at a time."""
    out: list[str] = []
    prev, run = "O", 0
    for ch in text:
        cls = char_class(ch)
        attached = (cls == "I" and prev in "HK") or (cls == "K" and prev == "H" and run == 1)
        boundary = out and cls != prev and not attached
        if boundary and not out[-1].isspace() and not ch.isspace():
            out.append(ZWSP)
        run = run + 1 if cls == prev else 1
        out.append(ch)
        prev = cls
    return "".join(out)


ALPHABET = "ab Z1\n\t過学習再現率々〆ヵヶカタナーあいをの、。「」\u200bｱｶﾞ"


@settings(max_examples=3000)
@given(st.text(alphabet=ALPHABET, max_size=20) | st.text(max_size=20))
def test_segment_cuts_where_the_character_rule_cuts(text: str) -> None:
    assert segment(text) == by_character(text)
    assert segment(text).replace(ZWSP, "") == text.replace(ZWSP, "")
