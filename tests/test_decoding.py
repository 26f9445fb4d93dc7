"""The package's one decoder (`decoding.py`) reads a module's bytes as Python's parser does."""
from __future__ import annotations

import ast
import codecs

import pytest

from flake8_sqla_session.decoding import decode_python

SAMPLES = {
    "plain": b"x = 1\n",
    "empty": b"",
    "bom": codecs.BOM_UTF8 + b"x = '\xc3\xa9'\n",
    "cookie on line 1": b"# -*- coding: latin-1 -*-\nx = '\xe9'\n",
    "cookie on line 2": b"#!/usr/bin/env python\n# coding=cp1252\nx = '\x80'\n",
    "cookie on line 3 is no cookie": b"#!/usr/bin/env python\n\n# coding: latin-1\nx = '\xc3\xa9'\n",
    "the word in code": b"encoding = 'coding'\nx = '\xc3\xa9'\n",
    "bom and a utf-8 cookie": codecs.BOM_UTF8 + b"# coding: utf-8\nx = '\xc3\xa9'\n",
    "crlf cookie": b"# coding: latin-1\r\nx = '\xe9'\r\n",
    # tokenize.detect_encoding reads lines up to "\n" only, and misses this cookie; Python does not.
    "cr-only cookie": b"# coding: latin-1\rx = 1\ry = '\xe9'\r",
    "cr-only, cookie on line 2": b"#!python\r# coding: latin-1\ry = '\xe9'\r",
    "cr-only, the word in code on line 2": b"#!python\rx = '# coding: latin-1'\ry = '\xc3\xa9'\r",
    "cr-only, no cookie": b"x = 1\ry = '\xc3\xa9'\r",
    "one line, no end": b"x = '\xc3\xa9'",
    "cookie spelled utf8": b"# vim: set fileencoding=utf8 :\nx = '\xc3\xa9'\n",
    # Bytes Python cannot decode: neither can we.
    "not utf-8, no cookie": b"x = '\xff'\n",
    "not utf-8 past line 2": b"x = 1\ny = 2\nz = '\xe9'\n",
    "unknown codec": b"# coding: no-such-codec\nx = 1\n",
    "bom with another cookie": codecs.BOM_UTF8 + b"# coding: latin-1\nx = 1\n",
}


@pytest.mark.parametrize("data", SAMPLES.values(), ids=SAMPLES.keys())
def test_the_text_is_what_python_parses(data: bytes) -> None:
    try:
        expected = ast.dump(ast.parse(data))
    except SyntaxError:
        expected = None  # Python cannot read these bytes
    try:
        text, encoding = decode_python(data)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        assert expected is None, "Python reads these bytes"
        return
    assert expected is not None, f"Python cannot read these bytes, but they decoded as {encoding}"
    assert ast.dump(ast.parse(text)) == expected
    assert not text.startswith("\ufeff")
    assert (encoding == "utf-8-sig") == data.startswith(codecs.BOM_UTF8)  # written back with its BOM
