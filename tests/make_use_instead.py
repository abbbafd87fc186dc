"""Copy every lint rule's passing fixture into cnncalc/lint/use_instead.py, where the rule's
documentation reads it as its "Use instead" example. The installed package carries no test
files, so the text travels in a module; the fixture stays its only source.

Run (from anywhere) after adding or changing a passing fixture:

    python tests/make_use_instead.py

tests/test_lint_rules.py fails while the module and the fixtures differ. Independent of
cnncalc: it reads files and writes one.
"""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "lint"
TARGET = ROOT / "cnncalc" / "lint" / "use_instead.py"
PASSING = re.compile(r"^([A-Z][0-9]{3})_pass\.(yaml|md)$")
HEADER = '''"""Each lint rule's passing fixture, the "Use instead" example of its documentation.

Generated from tests/fixtures/lint/CODE_pass.yaml (CODE_pass.md for a document rule) by
tests/make_use_instead.py: edit the fixture and run that, never this file.
"""
from __future__ import annotations

# code: (the fixture's file name, its text)
USE_INSTEAD: dict[str, tuple[str, str]] = {
'''


def passing_fixtures() -> list[Path]:
    """Every CODE_pass.yaml or CODE_pass.md, in code order."""
    return sorted((p for p in FIXTURES.iterdir() if PASSING.match(p.name)),
                  key=lambda p: p.name)


def literal(text: str) -> str:
    """The text as a Python string literal: triple-quoted, so it reads as the fixture does,
    unless it holds what such a literal would change (quotes, backslashes, controls)."""
    if '"""' in text or "\\" in text or text.endswith('"') or \
            not all(c == "\n" or c.isprintable() for c in text):
        return repr(text)
    return '"""\\\n' + text + '"""'


def render() -> str:
    """The module's whole text."""
    entries = []
    for path in passing_fixtures():
        code = PASSING.match(path.name).group(1)  # type: ignore[union-attr]
        text = path.read_text(encoding="utf-8")
        entries.append(f'    "{code}": ("{path.name}", {literal(text)}),\n')
    return HEADER + "".join(entries) + "}\n"


if __name__ == "__main__":
    TARGET.write_text(render(), encoding="utf-8")
    print(f"wrote {TARGET.relative_to(ROOT)}: {len(passing_fixtures())} examples")
