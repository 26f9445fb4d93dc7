"""How Python decodes a module's bytes: the one decoder of the package (the bottom layer).

The fixer reads and writes files with it (`fix/files.py`), and project knowledge
reads the project's modules with it (`knowledge/project.py`).
"""
from __future__ import annotations

import codecs
import io
import re
import tokenize

_LINE_END = re.compile(rb"\r\n?|\n")


def python_encoding(data: bytes) -> str:
    """The encoding Python reads `data` with: the coding cookie of its first two lines, else
    UTF-8 (`utf-8-sig` with a BOM, so that encoding the text again puts the BOM back).

    `tokenize.detect_encoding` runs only when the first two lines hold the word "coding" (it
    costs a tenth of a millisecond per module); it raises SyntaxError for a cookie Python
    rejects (an unknown encoding, or a BOM with another cookie).  Lines end as Python ends
    them, at "\r" too: detect_encoding alone would miss a cookie in a file whose lines end
    with "\r" only, which Python's parser honours.
    """
    head = _first_lines(data, 2)
    if b"coding" in head:
        if b"\r" in head:
            head = head.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        encoding, _ = tokenize.detect_encoding(io.BytesIO(head).readline)
        return encoding
    return "utf-8-sig" if data.startswith(codecs.BOM_UTF8) else "utf-8"


def _first_lines(data: bytes, count: int) -> bytes:
    """The first `count` lines of `data`, with their ends ("\r\n", "\r" or "\n")."""
    end = 0
    for _ in range(count):
        match = _LINE_END.search(data, end)
        if match is None:
            return data
        end = match.end()
    return data[:end]


def decode_python(data: bytes) -> tuple[str, str]:
    """(text, encoding) of a module's bytes, as Python reads them (a BOM is not in the text).

    Raises SyntaxError (a bad cookie), UnicodeDecodeError (bytes the encoding does not
    decode) or LookupError (an encoding Python does not know).
    """
    encoding = python_encoding(data)
    return data.decode(encoding), encoding
