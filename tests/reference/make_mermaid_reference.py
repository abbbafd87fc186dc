"""Record what Mermaid itself reads from cnncalc's diagrams: tests/reference/mermaid.json.

For every example at full depth and at --depth 1, and for a net whose layer names hold
every character Mermaid treats as syntax, the Mermaid text `cnncalc diagram` writes is
parsed by Mermaid 12.3.0's own parser under Node (mermaid_parse.mjs, with jsdom for the
DOM it expects): the diagram type, its vertex and edge counts, and for the hostile net the
labels as Mermaid renders them. The tests (tests/test_mermaid_reference.py) hold the record
against the text cnncalc writes today (by its SHA-256) and against the built graph.

Needs node 18+ and npm; the packages go to ~/.cache/cnncalc-mermaid:
    python tests/reference/make_mermaid_reference.py
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
PACKAGES = {"mermaid": "12.3.0", "jsdom": "29.1.1"}
CACHE = Path.home() / ".cache" / "cnncalc-mermaid"
# names with the characters Mermaid reads as syntax; the test holds the labels to these
HOSTILE = """\
input: [3, 8, 8]
layers:
  - conv: {filters: 4, kernel: 3}
    name: 'a"b<script>#x;[]{}|end'
  - relu:
    name: end
  - conv: {filters: 4, kernel: 1}
    name: "%%{init: {}}%% --> x[y] & <br> é"
  - relu:
    name: subgraph
"""


def cases() -> dict[str, tuple[list[str], str | None]]:
    """Case name -> (cnncalc diagram arguments, spec text to write first or None)."""
    found: dict[str, tuple[list[str], str | None]] = {}
    for path in sorted((ROOT / "examples").glob("*.yaml")):
        spec = str(path.relative_to(ROOT))
        found[f"{path.stem}"] = ([spec], None)
        found[f"{path.stem} --depth 1"] = ([spec, "--depth", "1"], None)
    found["hostile names"] = (["SPEC"], HOSTILE)
    return found


def mermaid_text(arguments: list[str], spec_text: str | None, folder: Path) -> str:
    if spec_text is not None:
        spec = folder / "hostile.yaml"
        spec.write_text(spec_text, encoding="utf-8")
        arguments = [str(spec) if a == "SPEC" else a for a in arguments]
    done = subprocess.run([sys.executable, "-m", "cnncalc", "diagram", *arguments],
                          cwd=ROOT, capture_output=True, text=True, check=True)
    return done.stdout


def main() -> None:
    if not (CACHE / "node_modules" / "mermaid").exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        subprocess.run(["npm", "install", "--prefix", str(CACHE), "--no-audit", "--no-fund",
                        *(f"{name}@{version}" for name, version in PACKAGES.items())],
                       check=True)
    script = CACHE / "mermaid_parse.mjs"  # beside its node_modules, where imports resolve
    script.write_text((HERE / "mermaid_parse.mjs").read_text(encoding="utf-8"))
    record: dict[str, object] = {"mermaid": PACKAGES["mermaid"], "cases": {}}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        texts, files = {}, []
        for index, (name, (arguments, spec_text)) in enumerate(cases().items()):
            texts[name] = mermaid_text(arguments, spec_text, folder)
            file = folder / f"{index}.mmd"
            file.write_text(texts[name], encoding="utf-8")
            files.append((name, file))
        done = subprocess.run(["node", str(script), *(str(f) for _, f in files)],
                              capture_output=True, text=True, check=True, cwd=CACHE)
        results = [json.loads(line) for line in done.stdout.splitlines()]
    for (name, _), result in zip(files, results, strict=True):
        entry = {"arguments": cases()[name][0],
                 "sha256": hashlib.sha256(texts[name].encode()).hexdigest(),
                 **{k: v for k, v in result.items() if k != "file"}}
        if name != "hostile names":
            entry.pop("labels", None)
        record["cases"][name] = entry  # type: ignore[index]
        print(name, {k: v for k, v in entry.items() if k in ("type", "vertices", "edges",
                                                               "error")})
    out = HERE / "mermaid.json"
    out.write_text(json.dumps(record, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
