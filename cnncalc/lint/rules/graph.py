"""G: the graph. Layers wired so that their work reaches no output."""
from __future__ import annotations

from collections.abc import Iterator

from ..diagnostic import Severity
from ..registry import Finding, rule
from ..subject import Subject, label


@rule("G101", "unused-output", Severity.WARNING)
def unused_output(subject: Subject) -> Iterator[Finding]:
    """A layer whose output nothing reads and that is not one of the network's outputs.

    Why: its parameters and multiply-accumulates count in every total, yet nothing it
    computes reaches an output: usually a side head that was meant to be declared in
    `outputs:`, or a `from:` that skips the layer the author meant to read. Reported once,
    at the end of each dead path, with what the path costs.

    Example:
        layers:
          - conv: {filters: 32, kernel: 3, padding: 1}
            name: trunk
          - global_avgpool: {}
          - flatten
          - dense: {units: 10}
            name: aux               # read by nothing, and not in outputs:
          - conv: {filters: 8, kernel: 1}
            from: trunk

    Fix: list it in `outputs:` (a side output, e.g. an auxiliary classifier), or remove it.
    """
    network = subject.analysis.network
    live: set[int] = set()
    for ref in network.outputs:
        live.update(network.ancestors(ref))
    dead_ends = [node for node in network.nodes
                 if node.index not in live and not network.consumers[node.index]]
    for node in dead_ends:
        path = [i for i in network.ancestors(node.index) if i not in live]
        rows = subject.rows
        params = sum(rows[i].weights for i in path)
        macs = sum(rows[i].macs for i in path)
        yield Finding(node.location, f"{label(node)}: nothing reads its output and it is not "
                                     f"one of the network's outputs; the {len(path)} "
                                     f"layer{'s' * (len(path) != 1)} leading only here "
                                     f"hold {params:,} params and {macs:,} MACs (list it in "
                                     f"'outputs:' or remove it)", node)
