"""Models in and out of cnncalc: ONNX import (and export), imported only by their commands."""
