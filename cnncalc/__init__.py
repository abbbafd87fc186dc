"""cnncalc: a calculator and linter for convolutional networks written as YAML."""
from .analysis import Analysis, Row, Totals, analyze, analyze_file, analyze_text
from .build import Network, build
from .errors import Location, Problem, SpecError
from .spec import NetSpec, load_file, parse

__all__ = ["Analysis", "Location", "NetSpec", "Network", "Problem", "Row", "SpecError",
           "Totals", "analyze", "analyze_file", "analyze_text", "build", "load_file", "parse"]
