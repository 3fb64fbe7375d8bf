import React from 'react';

import { formatDuration, formatTime } from '../format';
import type { IAttempt } from '../types';

export interface ITimelineProps {
  /** task ids, in the order to draw them */
  tasks: readonly string[];
  attempts: ReadonlyMap<string, IAttempt[]>;
  selected: string | null;
  onSelect: (task: string) => void;
  /** "now", for attempts still running */
  now: number;
}

const time = (iso: string | null): number | null => (iso ? new Date(iso).getTime() : null);

/** Every attempt of every task as a bar on one time axis. */
export function Timeline(props: ITimelineProps): JSX.Element {
  const { tasks, attempts, now } = props;
  let start = Infinity;
  let end = -Infinity;
  for (const list of attempts.values()) {
    for (const a of list) {
      const s = time(a.started_at);
      if (s !== null) {
        start = Math.min(start, s);
        end = Math.max(end, time(a.ended_at) ?? now);
      }
    }
  }
  if (!Number.isFinite(start)) {
    return <div className="jp-batch-empty">No attempt has started yet.</div>;
  }
  const span = Math.max(end - start, 1000);
  const pct = (t: number): number => ((t - start) / span) * 100;
  return (
    <div className="jp-batch-timeline">
      <div className="jp-batch-timeline-axis jp-batch-muted">
        <span>{formatTime(new Date(start).toISOString())}</span>
        <span>{formatDuration(new Date(start).toISOString(), new Date(end).toISOString())}</span>
      </div>
      {tasks.map(task => (
        <div
          key={task}
          className={`jp-batch-timeline-row${task === props.selected ? ' jp-mod-selected' : ''}`}
          onClick={() => props.onSelect(task)}
        >
          <span className="jp-batch-timeline-label" title={task}>
            {task}
          </span>
          <span className="jp-batch-timeline-track">
            {(attempts.get(task) ?? []).map(a => {
              const s = time(a.started_at);
              if (s === null) {
                return null;
              }
              const e = time(a.ended_at) ?? now;
              return (
                <span
                  key={a.attempt}
                  className={`jp-batch-timeline-bar jp-batch-state-${a.state}`}
                  data-attempt={a.attempt}
                  style={{
                    left: `${pct(s)}%`,
                    width: `max(3px, ${pct(e) - pct(s)}%)`
                  }}
                  title={`${task} attempt ${a.attempt}: ${a.state}, ${formatDuration(
                    a.started_at,
                    a.ended_at,
                    now
                  )}${a.exit_code !== null ? `, exit ${a.exit_code}` : ''}`}
                >
                  {a.attempt > 1 ? a.attempt : ''}
                </span>
              );
            })}
          </span>
        </div>
      ))}
    </div>
  );
}
