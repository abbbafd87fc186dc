"""Reading the model file: its size capped before protobuf parses it, the node count capped,
the opset it declares. Nothing here reads external data (see tensors.py)."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from ... import limits
from .records import ImportProblem

MAX_ONNX_BYTES = 2**31  # protobuf's own limit for one message


def require_onnx() -> Any:
    import onnx  # the caller checked it is installed

    return onnx


def load_model(path: str | Path) -> Any:
    """The ModelProto at `path`, refusing files too large and never loading external data."""
    onnx = require_onnx()
    file = Path(path)
    try:
        size = file.stat().st_size
    except OSError as err:
        raise ImportProblem(f"{path}: cannot read: {err.strerror}") from None
    if size > MAX_ONNX_BYTES:
        raise ImportProblem(f"{path}: {size:,} bytes is more than the {MAX_ONNX_BYTES:,} an "
                            f"ONNX file may hold")
    try:
        model = onnx.load_model_from_string(file.read_bytes())
    except Exception as err:  # noqa: BLE001  (protobuf's DecodeError and friends)
        raise ImportProblem(f"{path}: not an ONNX model: {' '.join(str(err).split())[:200]}"
                            ) from None
    return model


def check_node_count(model: Any, file: str) -> None:
    """Refuse a graph with more nodes than cnncalc's layer cap, before anything reads them."""
    count = len(model.graph.node)
    if count > limits.max_layers():
        raise ImportProblem(f"{file}: {count:,} nodes is more than cnncalc's "
                            f"{limits.max_layers():,} layers (CNNCALC_MAX_LAYERS raises it)")


def opset_version(model: Any) -> int:
    """The default domain's opset the model declares (1 when it declares none)."""
    return max([o.version for o in model.opset_import if o.domain in ("", "ai.onnx")] or [1])
