import React, { useEffect, useRef, useState } from 'react';

import type { BatchApiError } from '../api';
import { isAbout } from '../params';

/**
 * A server error, readable: its message, then every problem with where it is — but
 * those about `fields`, which a form shows beside them.
 */
export function ErrorBanner(props: {
  error: BatchApiError | null;
  onRetry?: () => void;
  fields?: readonly string[];
}): JSX.Element | null {
  const { error, onRetry, fields = [] } = props;
  if (!error) {
    return null;
  }
  const problems = error.problems.filter(p => !fields.some(key => isAbout(p.where, key)));
  return (
    <div className="jp-batch-error" role="alert">
      <div className="jp-batch-error-message">{error.summary}</div>
      {problems.length < error.problems.length && (
        <div className="jp-batch-muted">See the fields marked above.</div>
      )}
      {problems.length > 0 && (
        <ul className="jp-batch-error-problems">
          {problems.map((p, i) => (
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

/**
 * A small text button in JupyterLab's look. `submit`: its form's default button, so
 * Enter in one of the form's inputs clicks it.
 */
export function ActionButton(props: {
  label: string;
  title?: string;
  onClick: () => void;
  disabled?: boolean;
  accent?: boolean;
  warn?: boolean;
  submit?: boolean;
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
      type={props.submit ? 'submit' : 'button'}
      className={classes.join(' ')}
      title={props.title ?? props.label}
      disabled={props.disabled}
      onClick={event => {
        // the click is the action: no form submission besides it
        event.preventDefault();
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
 * stay cheap. `onRange` says which rows are on screen; the row `scrollTo` is scrolled
 * into view whenever it changes.
 */
export function VirtualList(props: {
  count: number;
  rowHeight: number;
  rowKey: (index: number) => string;
  renderRow: (index: number) => React.ReactNode;
  onRange?: (start: number, end: number) => void;
  scrollTo?: number;
  className?: string;
  overscan?: number;
}): JSX.Element {
  const { count, rowHeight, onRange, scrollTo } = props;
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

  useEffect(() => {
    const node = ref.current;
    if (!node || scrollTo === undefined || scrollTo < 0) {
      return;
    }
    const top = scrollTo * rowHeight;
    if (top < node.scrollTop || top + rowHeight > node.scrollTop + node.clientHeight) {
      node.scrollTop = top;
    }
  }, [scrollTo, rowHeight]);

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
