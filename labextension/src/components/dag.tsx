import React from 'react';

import type { ILayout, ILayoutNode, TaskState } from '../types';

export interface IDagViewProps {
  layout: ILayout;
  /** the state of each node that has a task run */
  states: ReadonlyMap<string, TaskState>;
  selected: string | null;
  onSelect: (node: string) => void;
  /** a definition, not a run: nodes name their type only, no state */
  definition?: boolean;
}

const NODE_W = 150;
const NODE_H = 38;
const GAP_X = 60;
const GAP_Y = 18;
const PAD = 16;

const px = (x: number): number => PAD + x * (NODE_W + GAP_X);
const py = (y: number): number => PAD + y * (NODE_H + GAP_Y);

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** What a node's second line says: its type, then its state in a run. */
function subline(node: ILayoutNode, state: string, definition: boolean): string {
  if (definition) {
    return node.kind === 'reference' ? `waits for ${node.workflow ?? '?'}` : node.type;
  }
  return `${node.type} · ${state === 'none' ? '—' : state.replace('_', ' ')}`;
}

/**
 * The DAG at the coordinates the server computed (x = layer, y = row), each node
 * coloured by its state (neutral in a definition). A dashed edge is one a rerun with
 * downstream does not cross.
 */
export function DagView(props: IDagViewProps): JSX.Element {
  const { layout, states, selected } = props;
  const at = new Map(layout.nodes.map(n => [n.id, n]));
  const width = Math.max(...layout.nodes.map(n => px(n.x)), 0) + NODE_W + PAD;
  const height = Math.max(...layout.nodes.map(n => py(n.y)), 0) + NODE_H + PAD;
  return (
    <svg
      className="jp-batch-dag"
      width={width}
      height={height}
      viewBox={`0 0 ${width} ${height}`}
      role="img"
      aria-label={`DAG of ${layout.name}`}
    >
      <defs>
        <marker
          id="jp-batch-arrow"
          viewBox="0 0 10 10"
          refX="9"
          refY="5"
          markerWidth="7"
          markerHeight="7"
          orient="auto-start-reverse"
        >
          <path d="M 0 0 L 10 5 L 0 10 z" className="jp-batch-dag-arrow" />
        </marker>
      </defs>
      {layout.edges.map(edge => {
        const a = at.get(edge.from);
        const b = at.get(edge.to);
        if (!a || !b) {
          return null;
        }
        const x1 = px(a.x) + NODE_W;
        const y1 = py(a.y) + NODE_H / 2;
        const x2 = px(b.x);
        const y2 = py(b.y) + NODE_H / 2;
        const bend = Math.max(20, (x2 - x1) / 2);
        return (
          <path
            key={`${edge.from}->${edge.to}`}
            className={`jp-batch-dag-edge${edge.rerun ? '' : ' jp-mod-norerun'}`}
            d={`M ${x1} ${y1} C ${x1 + bend} ${y1}, ${x2 - bend} ${y2}, ${x2} ${y2}`}
            markerEnd="url(#jp-batch-arrow)"
          >
            <title>
              {edge.from} → {edge.to}
              {edge.rerun ? '' : ' (a rerun with downstream stops here)'}
            </title>
          </path>
        );
      })}
      {layout.nodes.map(node => {
        const state = states.get(node.id) ?? 'none';
        const classes = [
          'jp-batch-dag-node',
          `jp-batch-state-${state}`,
          node.kind === 'reference' ? 'jp-mod-reference' : '',
          node.id === selected ? 'jp-mod-selected' : ''
        ];
        return (
          <g
            key={node.id}
            className={classes.join(' ')}
            data-node-id={node.id}
            data-state={state}
            transform={`translate(${px(node.x)}, ${py(node.y)})`}
            onClick={() => props.onSelect(node.id)}
            role="button"
            tabIndex={0}
            onKeyDown={event => event.key === 'Enter' && props.onSelect(node.id)}
          >
            <title>
              {node.id} ({node.kind === 'reference' ? `reference to ${node.workflow}` : node.type})
              {props.definition ? '' : `: ${state === 'none' ? 'not reached' : state}`}
            </title>
            <rect width={NODE_W} height={NODE_H} rx={node.kind === 'reference' ? 18 : 5} />
            <text x={10} y={16} className="jp-batch-dag-label">
              {shorten(node.id, 20)}
            </text>
            <text x={10} y={30} className="jp-batch-dag-sub">
              {shorten(subline(node, state, !!props.definition), 26)}
            </text>
          </g>
        );
      })}
    </svg>
  );
}
