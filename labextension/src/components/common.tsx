import React, { useEffect, useRef, useState } from 'react';

import type { BatchApiError } from '../api';

/** A server error, readable: its message, then every problem with where it is. */
export function ErrorBanner(props: {
  error: BatchApiError | null;
  onRetry?: () => void;
}): JSX.Element | null {
  const { error, onRetry } = props;
  if (!error) {
    return null;
  }
  return (
    <div className="jp-batch-error" role="alert">
      <div className="jp-batch-error-message">{error.summary}</div>
      {error.problems.length > 0 && (
        <ul className="jp-batch-error-problems">
          {error.problems.map((p, i) => (
            <li key={i}>
              <code>{p.where}</code> {p.message}
            </li>
          ))}
        </ul>
      )}
      {onRetry && (
        <button className="jp-batch-link" onClick={onRetry}>
          Try again
        </button>
      )}
    </div>
  );
}

/** A coloured chip for a run or task state. */
export function StateBadge(props: { state: string; title?: string }): JSX.Element {
  return (
    <span
      className={`jp-batch-badge jp-batch-state-${props.state}`}
      data-state={props.state}
      title={props.title ?? props.state}
    >
      {props.state.replace('_', ' ')}
    </span>
  );
}

/** A small text button in JupyterLab's look. */
export function ActionButton(props: {
  label: string;
  title?: string;
  onClick: () => void;
  disabled?: boolean;
  accent?: boolean;
  warn?: boolean;
}): JSX.Element {
  const classes = ['jp-batch-button'];
  if (props.accent) {
    classes.push('jp-mod-accept');
  }
  if (props.warn) {
    classes.push('jp-mod-warn');
  }
  return (
    <button
      className={classes.join(' ')}
      title={props.title ?? props.label}
      disabled={props.disabled}
      onClick={event => {
        event.stopPropagation();
        props.onClick();
      }}
    >
      {props.label}
    </button>
  );
}

/**
 * A list that renders only the rows in view (fixed row height), so thousands of rows
 * stay cheap. `onRange` says which rows are on screen.
 */
export function VirtualList(props: {
  count: number;
  rowHeight: number;
  rowKey: (index: number) => string;
  renderRow: (index: number) => React.ReactNode;
  onRange?: (start: number, end: number) => void;
  className?: string;
  overscan?: number;
}): JSX.Element {
  const { count, rowHeight, onRange } = props;
  const overscan = props.overscan ?? 4;
  const ref = useRef<HTMLDivElement>(null);
  const [scrollTop, setScrollTop] = useState(0);
  const [height, setHeight] = useState(600);

  useEffect(() => {
    const node = ref.current;
    if (!node) {
      return;
    }
    const observer = new ResizeObserver(() => setHeight(node.clientHeight));
    observer.observe(node);
    setHeight(node.clientHeight);
    return () => observer.disconnect();
  }, []);

  const first = Math.max(0, Math.floor(scrollTop / rowHeight) - overscan);
  const last = Math.min(count, Math.ceil((scrollTop + height) / rowHeight) + overscan);
  useEffect(() => {
    onRange?.(first, last);
  }, [first, last, count, onRange]);

  const rows: JSX.Element[] = [];
  for (let i = first; i < last; i++) {
    rows.push(
      <div
        key={props.rowKey(i)}
        className="jp-batch-vrow"
        style={{ top: i * rowHeight, height: rowHeight }}
      >
        {props.renderRow(i)}
      </div>
    );
  }
  return (
    <div
      ref={ref}
      className={`jp-batch-vlist ${props.className ?? ''}`}
      onScroll={event => setScrollTop(event.currentTarget.scrollTop)}
    >
      <div className="jp-batch-vlist-inner" style={{ height: count * rowHeight }}>
        {rows}
      </div>
    </div>
  );
}
