"""GSM 03.38: which texts fit a single SMS without falling back to UCS-2."""

from __future__ import annotations

BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
EXTENSION = "^{}\\[~]|€\f"
SINGLE_SEGMENT = 160


def is_gsm7(text: str) -> bool:
    return all(ch in BASIC or ch in EXTENSION for ch in text)


def septets(text: str) -> int:
    """Length in GSM-7 septets (extension characters take two)."""
    return sum(2 if ch in EXTENSION else 1 for ch in text)


def fits_one_segment(text: str) -> bool:
    return is_gsm7(text) and septets(text) <= SINGLE_SEGMENT
