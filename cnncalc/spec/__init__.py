"""The spec language: a YAML file read with every value's position (`yamlpos`), its top level
checked once (`schema`: input, outputs, conventions, budget, expectations, blocks), and the
expressions blocks use (`expressions`). Layer entries stay located YAML values until
`cnncalc.build` walks them into a graph."""
from .schema import (
    DTYPE_BYTES,
    EXPECT_KEYS,
    NET_EXPECT_KEYS,
    TOP_KEYS,
    BlockDef,
    InputSpec,
    NetSpec,
    check_expectation,
    describe,
    load_file,
    parse,
)

__all__ = ["DTYPE_BYTES", "EXPECT_KEYS", "NET_EXPECT_KEYS", "TOP_KEYS", "BlockDef",
           "InputSpec", "NetSpec", "check_expectation", "describe", "load_file", "parse"]
