// The DAG canvas of jupyter-batch: draws the traits of DagCanvas (dag_canvas.py) as SVG.
// Positions come from Python (dag.workflow_layout, in grid units); this only scales them.
// A click on a node sets the synced `selected` trait: the one way back to Python.

const SVG = "http://www.w3.org/2000/svg";
const NODE_W = 150;
const NODE_H = 46;
const STEP_X = 200;
const STEP_Y = 68;
const PAD = 14;
const NO_STATE = "#ffffff";
const WATCHED = ["nodes", "edges", "states", "selected", "colors", "message"];

function make(tag, attrs, parent) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, String(value));
  if (parent) parent.appendChild(node);
  return node;
}

function darkFill(hex) {
  const n = parseInt(hex.slice(1), 16);
  const lum = (0.299 * ((n >> 16) & 255) + 0.587 * ((n >> 8) & 255) + 0.114 * (n & 255)) / 255;
  return lum < 0.55;
}

function shorten(text, most) {
  return text.length > most ? text.slice(0, most - 1) + "\u2026" : text;
}

function drawEdges(svg, edges, at, arrow) {
  for (const edge of edges) {
    const a = at[edge.from];
    const b = at[edge.to];
    if (!a || !b) continue;
    const x1 = a.x + NODE_W, y1 = a.y + NODE_H / 2, x2 = b.x, y2 = b.y + NODE_H / 2;
    const mid = (x1 + x2) / 2;
    const path = make("path", {
      d: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2 - 2},${y2}`,
      fill: "none", stroke: "#6b7280", "stroke-width": 1.5, "marker-end": `url(#${arrow})`,
    }, svg);
    if (edge.rerun === false) path.setAttribute("stroke-dasharray", "2 4");
    make("title", {}, path).textContent = `${edge.from} \u2192 ${edge.to}` +
      (edge.rerun === false ? " (a rerun with downstream does not cross it)" : "");
  }
}

function drawNode(svg, node, where, state, fill, isSelected, model) {
  const group = make("g", { transform: `translate(${where.x},${where.y})`, cursor: "pointer" }, svg);
  const box = make("rect", {
    width: NODE_W, height: NODE_H, rx: 6, fill,
    stroke: isSelected ? "#111827" : "#4b5563", "stroke-width": isSelected ? 3 : 1.5,
  }, group);
  if (node.kind === "reference") box.setAttribute("stroke-dasharray", "6 3");
  const ink = darkFill(fill) ? "#ffffff" : "#111827";
  make("text", { x: 10, y: 19, fill: ink, "font-size": 13, "font-weight": 600 }, group)
    .textContent = shorten(node.id, 19);
  const kind = node.kind === "reference" ? `\u2197 ${node.workflow ?? "reference"}` : node.type;
  make("text", { x: 10, y: 36, fill: ink, "font-size": 11 }, group)
    .textContent = shorten(state ? `${kind} \u00b7 ${state.replace("_", " ")}` : kind, 24);
  make("title", {}, group).textContent =
    `${node.id} (${node.kind === "reference" ? "reference" : node.type})` + (state ? ` \u2014 ${state}` : "");
  group.addEventListener("click", () => {
    model.set("selected", node.id);
    model.save_changes();
  });
}

function draw(model, root, arrow) {
  const nodes = model.get("nodes") ?? [];
  const states = model.get("states") ?? {};
  const colors = model.get("colors") ?? {};
  const selected = model.get("selected");
  const message = model.get("message");
  if (message || nodes.length === 0) {
    // why nothing is drawn (a cycle cannot be laid out), or that there is nothing yet
    const note = document.createElement("div");
    note.className = "batch-dag-message";
    note.textContent = message || "No tasks yet.";
    if (message) note.style.color = "#b91c1c";
    root.replaceChildren(note);
    return;
  }
  const at = {};
  let width = 0, height = 0;
  for (const node of nodes) {
    const x = PAD + node.x * STEP_X, y = PAD + node.y * STEP_Y;
    at[node.id] = { x, y };
    width = Math.max(width, x + NODE_W + PAD);
    height = Math.max(height, y + NODE_H + PAD);
  }
  const svg = make("svg", { width, height, viewBox: `0 0 ${width} ${height}`, "font-family": "sans-serif" });
  const marker = make("marker", {
    id: arrow, viewBox: "0 0 10 10", refX: 9, refY: 5, markerWidth: 7, markerHeight: 7,
    orient: "auto-start-reverse",
  }, make("defs", {}, svg));
  make("path", { d: "M0,0 L10,5 L0,10 z", fill: "#6b7280" }, marker);
  drawEdges(svg, model.get("edges") ?? [], at, arrow);
  for (const node of nodes) {
    const state = states[node.id];
    const fill = state ? colors[state] ?? NO_STATE : NO_STATE;
    drawNode(svg, node, at[node.id], state, fill, node.id === selected, model);
  }
  root.replaceChildren(svg);
}

function render({ model, el }) {
  const root = document.createElement("div");
  root.style.overflow = "auto";
  el.appendChild(root);
  // marker ids are global to the page: one per view, so two canvases never share one
  const arrow = `batch-arrow-${Math.random().toString(36).slice(2)}`;
  const redraw = () => draw(model, root, arrow);
  for (const name of WATCHED) model.on(`change:${name}`, redraw);
  redraw();
  return () => {
    for (const name of WATCHED) model.off(`change:${name}`, redraw);
  };
}

export default { render };
