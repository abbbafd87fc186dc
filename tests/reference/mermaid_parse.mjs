// Mermaid's own parser on each .mmd file named: prints one JSON line per file with the
// diagram type, the vertices and edges Mermaid read, and each vertex's label as Mermaid
// renders it: split at the <br> line breaks, then each line's entity codes decoded the way
// mermaid's decodeEntities does before drawing (so an escaped "<br>" in a name stays text).
// Needs node_modules with mermaid and jsdom: see make_mermaid_reference.py.
import { JSDOM } from "jsdom";
import fs from "fs";

const dom = new JSDOM("<!DOCTYPE html><body></body>");
globalThis.window = dom.window;
globalThis.document = dom.window.document;
const { default: mermaid } = await import("mermaid");
mermaid.initialize({ startOnLoad: false });

function rendered(text) {
  // mermaid's parser keeps entities as placeholders; decodeEntities turns them back into
  // HTML entities, which the browser then decodes: as here, through a textarea
  const html = text.replace(/ﬂ°°/g, "&#").replace(/ﬂ°/g, "&").replace(/¶ß/g, ";");
  const area = document.createElement("textarea");
  area.innerHTML = html;
  return area.value;
}

for (const file of process.argv.slice(2)) {
  const text = fs.readFileSync(file, "utf8");
  try {
    const parsed = await mermaid.parse(text);
    const diagram = await mermaid.mermaidAPI.getDiagramFromText(text);
    const vertices = [...diagram.db.getVertices().values()];
    console.log(JSON.stringify({
      file, type: parsed.diagramType, vertices: vertices.length,
      edges: diagram.db.getEdges().length,
      labels: vertices.map((v) => v.text.split("<br>").map(rendered)),
    }));
  } catch (error) {
    console.log(JSON.stringify({ file, error: String(error.message || error).slice(0, 500) }));
  }
}
