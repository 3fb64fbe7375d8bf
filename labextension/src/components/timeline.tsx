import React from 'react';

import { exitInWords, formatDuration, formatTime } from '../format';
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

/** The narrowest bar, in pixels: wide enough to see, or to read an attempt's number. */
const MIN_BAR = 4;
const MIN_LABELLED_BAR = 14;

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
              const exit = exitInWords(a.exit_code, a.state === 'cancelled');
              const least = a.attempt > 1 ? MIN_LABELLED_BAR : MIN_BAR;
              return (
                <span
                  key={a.attempt}
                  className={`jp-batch-timeline-bar jp-batch-state-${a.state}`}
                  data-attempt={a.attempt}
                  style={{
                    // a short bar at the very end keeps its least width inside the track
                    left: `min(${pct(s)}%, calc(100% - ${least}px))`,
                    width: `max(${least}px, ${pct(e) - pct(s)}%)`
                  }}
                  title={`${task} attempt ${a.attempt}: ${a.state}, ${formatDuration(
                    a.started_at,
                    a.ended_at,
                    now
                  )}${exit ? `, ${exit}` : ''}`}
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
