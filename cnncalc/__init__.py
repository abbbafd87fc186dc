"""cnncalc: a calculator and linter for convolutional networks written as YAML."""
from .analysis import Analysis, Row, Totals, analyze, analyze_file, analyze_text
from .build import build
from .errors import Location, Problem, SpecError
from .graph import Network
from .spec import NetSpec, load_file, parse

__all__ = ["Analysis", "Location", "NetSpec", "Network", "Problem", "Row", "SpecError",
           "Totals", "analyze", "analyze_file", "analyze_text", "build", "load_file", "parse"]


def __getattr__(name: str):  # `cnncalc.run` without importing numpy for everyone else
    if name == "run":
        from .executor import run

        return run
    raise AttributeError(f"module 'cnncalc' has no attribute {name!r}")
