"""The stated limits that keep every spec's analysis bounded in time and memory.

cnncalc runs in CI on files that arrive in pull requests, so no input may make it spin or
eat memory. Each limit is far beyond any real network; each refusal is a located message.
"""
from __future__ import annotations

import os

MAX_YAML_VALUES = 10**6   # values after aliases are expanded (a "billion laughs" stops here)
MAX_YAML_DEPTH = 200      # nesting of YAML lists and mappings
MAX_LAYERS = 10**5        # expanded layers (~3 s, ~130 MB at the cap); --max-layers raises it
MAX_BLOCK_DEPTH = 100     # blocks inside blocks inside branches...
MAX_AXIS = 2**31          # any size along one axis, channel count or layer argument
MAX_ELEMENTS = 2**40      # elements of one tensor (one sample)
MAX_OUTPUTS = 100         # declared outputs (each output's figures walk what it reads)
MAX_HINT_NAMES = 2000     # names a "did you mean" compares against (difflib is slow)
MAX_PROBLEMS = 50         # problems reported from one spec before stopping
MAX_EXPRESSION_CHARS = 500
MAX_EXPRESSION_DEPTH = 50
MAX_EXPRESSION_INT = 2**64  # |integer| in an expression, before and after every operation

LAYERS_ENV = "CNNCALC_MAX_LAYERS"


def max_layers() -> int:
    """The layer cap: CNNCALC_MAX_LAYERS if set to a positive integer, else MAX_LAYERS."""
    text = os.environ.get(LAYERS_ENV, "").strip()
    if text.isdigit() and len(text) < 19 and int(text) > 0:
        return int(text)
    return MAX_LAYERS
