import React, { useEffect, useRef } from 'react';

import type { ILogState } from '../models/run-detail';
import type { IAttempt } from '../types';
import { ActionButton, ErrorBanner } from './common';

export interface ILogViewProps {
  log: ILogState | null;
  attempts: readonly IAttempt[];
  onAttempt: (attempt: number | null) => void;
  onRefresh: () => void;
}

/** A task attempt's log; it stays scrolled to the end while new text arrives. */
export function LogView(props: ILogViewProps): JSX.Element {
  const { log, attempts } = props;
  const pre = useRef<HTMLPreElement>(null);
  const pinned = useRef(true);

  useEffect(() => {
    const node = pre.current;
    if (node && pinned.current) {
      node.scrollTop = node.scrollHeight;
    }
  }, [log?.text]);

  return (
    <div className="jp-batch-log">
      <div className="jp-batch-log-head">
        <select
          className="jp-batch-select"
          aria-label="attempt"
          value={log && !log.latest ? String(log.attempt) : ''}
          onChange={event =>
            props.onAttempt(event.target.value ? Number(event.target.value) : null)
          }
        >
          <option value="">latest attempt{log?.latest ? ` (${log.attempt})` : ''}</option>
          {attempts.map(a => (
            <option key={a.attempt} value={String(a.attempt)}>
              attempt {a.attempt}: {a.state}
            </option>
          ))}
        </select>
        <span className="jp-batch-muted jp-batch-log-status">
          {log === null ? 'loading…' : log.complete ? 'complete' : 'following…'}
        </span>
        <ActionButton label="Refresh" title="Read what the log gained" onClick={props.onRefresh} />
      </div>
      <ErrorBanner error={log?.error ?? null} />
      <pre
        ref={pre}
        className="jp-batch-log-text"
        onScroll={event => {
          const node = event.currentTarget;
          pinned.current = node.scrollHeight - node.scrollTop - node.clientHeight < 8;
        }}
      >
        {log?.text || (log?.complete ? '(the log is empty)' : '(nothing written yet)')}
      </pre>
    </div>
  );
}
