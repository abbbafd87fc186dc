"""An Analysis as JSON: the contract tools read (names and units stable, keys only ever
added; see the README)."""
from __future__ import annotations

from typing import Any

from ..analysis import Analysis, Output, Row
from ..footprint import Footprint, footprint
from ..json_location import location_json
from ..layers import Shape
from ..receptive import Field
from ..subtotals import BlockTotal, block_totals
from .layers import notes


def _field_json(field: Field) -> dict[str, list[float | int | bool]]:
    """Per axis: the local size, jump, start, and whether a global path sees every pixel."""
    parts = [f.as_dict() for f in field]
    return {key: [p[key] for p in parts] for key in ("size", "jump", "start", "global")}


def _shape(shape: Shape) -> list[int]:
    return list(shape)


def to_json(analysis: Analysis, batch: int = 1) -> dict[str, Any]:
    """The JSON contract: names and units are stable, keys are only ever added; see the
    README. Figures are per sample except under "memory", which is at `batch`."""
    t = analysis.totals
    spec = analysis.spec
    def layer(r: Row) -> dict[str, Any]:
        return {
            "name": r.name,
            "type": r.kind,
            "family": r.family,
            "config": r.node.layer.describe(),
            "input_shape": _shape(r.input_shape),
            **({"input_shapes": [_shape(s) for s in r.input_shapes]}
               if len(r.input_shapes) > 1 else {}),
            "output_shape": _shape(r.output_shape),
            "params": r.weights,
            "trainable_params": r.trainable,
            "non_trainable_params": r.non_trainable,
            "params_per_filter": r.per_filter,
            "macs": r.macs,
            "ops": r.ops,
            "activations": r.activations,
            "rf": _field_json(r.field),
            "location": location_json(r.node.location),
        }
    return {
        "name": spec.name,
        "file": spec.file,
        "framework": spec.framework,
        "rounding": spec.rounding or ("ceil" if spec.framework is None else None),
        "input_shape": _shape(analysis.input_shape),
        "output_shape": _shape(analysis.output_shape),
        "total_params": t.params,
        "trainable_params": t.trainable_params,
        "non_trainable_params": t.non_trainable_params,
        "buffers": t.buffers,
        "total_macs": t.macs,
        "total_ops": t.ops,
        "activations": t.activations,
        "activation_bytes": t.activation_bytes,
        "param_bytes": t.param_bytes,
        "dtype": spec.dtype,
        "rf": {**_field_json(t.rf), "layer": t.rf_layer},
        "layers": [{**layer(r), **_graph_json(analysis, r)} for r in analysis.rows],
        "mismatches": [{"location": location_json(m.location), "message": m.message}
                       for m in analysis.mismatches],
        "notes": notes(analysis),
        **_totals_json(analysis, batch),
    }


def _graph_json(analysis: Analysis, row: Row) -> dict[str, Any]:
    """Where a layer sits: its block path, outermost first, and the values it reads."""
    return {"blocks": list(row.node.blocks),
            "inputs": [analysis.network.name(ref) for ref in row.node.inputs]}


def _totals_json(analysis: Analysis, batch: int) -> dict[str, Any]:
    """Every block's subtotals, each output's figures, and the memory at `batch`."""
    return {"blocks": [_block_json(b) for b in block_totals(analysis)],
            "outputs": [_output_json(o) for o in analysis.outputs],
            "memory": _memory_json(footprint(analysis, batch))}


def _block_json(block: BlockTotal) -> dict[str, Any]:
    return {
        "name": block.name,
        "kind": block.kind,
        "depth": block.level,
        "layers": block.layers,
        "params": block.weights,
        "trainable_params": block.trainable,
        "non_trainable_params": block.non_trainable,
        "macs": block.macs,
        "ops": block.ops,
        "activations": block.activations,
        "input_shapes": [_shape(s) for s in block.input_shapes],
        "output_shape": _shape(block.output_shape),
    }


def _output_json(output: Output) -> dict[str, Any]:
    return {
        "name": output.name,
        "shape": _shape(output.shape),
        "params": output.params,
        "macs": output.macs,
        "rf": {**_field_json(output.rf), "layer": output.rf_layer},
    }


def _memory_json(memory: Footprint) -> dict[str, Any]:
    """torchinfo's memory figures in bytes, and the per-sample totals times the batch."""
    return {
        "batch": memory.batch,
        "dtype": memory.dtype,
        "input_bytes": memory.input_bytes,
        "forward_backward_bytes": memory.forward_backward_bytes,
        "param_bytes": memory.param_bytes,
        "total_bytes": memory.total_bytes,
        "macs": memory.macs,
        "ops": memory.ops,
        "activations": memory.activations,
        "activation_bytes": memory.activation_bytes,
    }
