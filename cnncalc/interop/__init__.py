"""Models in and out of cnncalc: ONNX import and export (and other targets). Every module
here imports its framework (onnx, ...) itself, so importing this package costs nothing."""
