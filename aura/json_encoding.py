"""The encodings a JSON text comes in besides plain UTF-8, and what AURA does with each.

RFC 8259 asks for UTF-8 and lets a parser ignore a byte order mark; editors on Windows save JSON
with one, and some save it in UTF-16. pydantic reads every byte as UTF-8, so such a text was
"Invalid JSON: expected value at line 1 column 1", which every editor contradicts. A request body
(`aura.api.body`) and a hand-edited ``manifest.json`` (`aura.export.manifest`) are read alike: a
UTF-8 mark is skipped, and a wider encoding is named, to be sent or saved as UTF-8.
"""

from __future__ import annotations

UTF8_BOM = b"\xef\xbb\xbf"
WIDE_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32LE"),
    (b"\x00\x00\xfe\xff", "UTF-32BE"),
    (b"\xff\xfe", "UTF-16LE"),
    (b"\xfe\xff", "UTF-16BE"),
)
WIDE_ZEROS = {
    (True, True, True, False): "UTF-32BE",
    (False, True, True, True): "UTF-32LE",
    (True, False, True, False): "UTF-16BE",
    (False, True, False, True): "UTF-16LE",
}
"""Where a JSON text's first four bytes are zero in each encoding wider than UTF-8, without a
byte order mark: its first two characters are ASCII (RFC 4627, section 3)."""


def wide_encoding(raw: bytes) -> str | None:
    """The encoding of a JSON text in UTF-16 or UTF-32, by its byte order mark or the zero bytes
    its first characters hold (no UTF-8 JSON text has a zero byte there), or None."""
    for mark, name in WIDE_BOMS:
        if raw.startswith(mark):
            return name
    return WIDE_ZEROS.get(tuple(b == 0 for b in raw[:4]))
