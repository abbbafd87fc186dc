"""Text that reaches a terminal, a log or a table on one line, whatever a spec holds.

Names and strings in specs and documents arrive in pull requests and may be hostile: a
newline would start a forged line (a GitHub workflow command, a fake finding), an ANSI
escape would repaint the terminal, a bidirectional override would make a line read other
than it is. `one_line` shows each such character as an escape instead of obeying it.
"""
from __future__ import annotations

import re

_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
# C0 and C1 controls, DEL, the Unicode line and paragraph separators, and the bidirectional
# embeddings, overrides and isolates (the 'Trojan Source' characters)
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def one_line(text: str) -> str:
    """`text` with every control character shown as an escape: 'a\\nb' -> 'a\\\\nb'.

    Printable text, including non-ASCII letters, is unchanged; the result holds no line
    break, no terminal escape and no bidirectional control.
    """
    if text.isascii() and text.isprintable():  # the common case, in C: nothing to escape
        return text
    return _UNSAFE.sub(_escape, text)


def markdown_cell(text: str) -> str:
    """Text for a cell of a GitHub Markdown table: one line, and every '|' escaped so no
    name can add a column."""
    return one_line(text).replace("|", "\\|")
