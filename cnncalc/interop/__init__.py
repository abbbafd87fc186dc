"""Models in and out: cnncalc's built graph to and from other frameworks' formats."""
