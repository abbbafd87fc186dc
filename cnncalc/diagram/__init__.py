"""Architecture diagrams: a network as a drawing model (model.py), written as Mermaid
(mermaid.py) or Graphviz DOT (dot.py), and DOT drawn as SVG or PNG by Graphviz's `dot`
(graphviz.py). Pure Python; Graphviz is needed only to draw pictures."""
from .model import Arrow, Box, Cluster, Diagram, Role, build_diagram, shape_text

__all__ = ["Arrow", "Box", "Cluster", "Diagram", "Role", "build_diagram", "shape_text"]
