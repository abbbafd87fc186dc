"""Models in and out of cnncalc: export to ONNX (and other targets). Every module here
imports its framework (onnx, ...) itself, so importing this package costs nothing."""
