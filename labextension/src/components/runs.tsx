import { refreshIcon } from '@jupyterlab/ui-components';
import React from 'react';

import type { BatchApiError } from '../api';
import { formatDuration, formatShortTime, formatTime } from '../format';
import type { IRunsFilter } from '../models/runs';
import { RUN_STATES } from '../types';
import type { IRun, RunState } from '../types';
import { ActionButton, ErrorBanner, StateBadge, VirtualList } from './common';

export interface IRunsViewProps {
  runs: readonly IRun[];
  total: number;
  offset: number;
  pageSize: number;
  loading: boolean;
  filter: IRunsFilter;
  workflowNames: readonly string[];
  error: BatchApiError | null;
  onFilter: (filter: Partial<IRunsFilter>) => void;
  onPage: (offset: number) => void;
  onOpen: (runId: number) => void;
  onRefresh: () => void;
}

const ROW_HEIGHT = 48;

function RunRow(props: { run: IRun; onOpen: (id: number) => void }): JSX.Element {
  const { run } = props;
  const duration = formatDuration(run.started_at, run.ended_at);
  return (
    <div
      className="jp-batch-run"
      data-run-id={run.id}
      role="button"
      tabIndex={0}
      title={run.message ?? `open run ${run.id}`}
      onClick={() => props.onOpen(run.id)}
      onKeyDown={event => event.key === 'Enter' && props.onOpen(run.id)}
    >
      <div className="jp-batch-run-line">
        <span className="jp-batch-run-id">#{run.id}</span>
        <span className="jp-batch-run-workflow">{run.workflow}</span>
        <StateBadge state={run.state} />
      </div>
      <div className="jp-batch-run-line jp-batch-muted">
        <span>{run.logical_date}</span>
        <span>{run.trigger}</span>
        <span
          className="jp-batch-run-start"
          title={`started ${formatTime(run.started_at ?? run.created_at)}`}
        >
          {formatShortTime(run.started_at ?? run.created_at)}
        </span>
        <span className="jp-batch-run-duration" title={`took ${duration}`}>
          {duration}
        </span>
      </div>
    </div>
  );
}

export function RunsView(props: IRunsViewProps): JSX.Element {
  const { runs, total, offset, pageSize, filter } = props;
  const first = total === 0 ? 0 : offset + 1;
  const last = Math.min(offset + runs.length, total);
  return (
    <div className="jp-batch-view jp-batch-runs">
      <div className="jp-batch-toolbar">
        <select
          className="jp-batch-select jp-batch-runs-workflow"
          aria-label="workflow"
          title={filter.workflow ? `runs of ${filter.workflow}` : 'runs of all workflows'}
          value={filter.workflow}
          onChange={event => props.onFilter({ workflow: event.target.value })}
        >
          <option value="">all workflows</option>
          {filter.workflow && !props.workflowNames.includes(filter.workflow) && (
            <option value={filter.workflow}>{filter.workflow}</option>
          )}
          {props.workflowNames.map(name => (
            <option key={name} value={name}>
              {name}
            </option>
          ))}
        </select>
        <select
          className="jp-batch-select jp-batch-runs-state"
          aria-label="state"
          title={filter.state ? `runs that are ${filter.state}` : 'runs in any state'}
          value={filter.state}
          onChange={event => props.onFilter({ state: event.target.value as RunState | '' })}
        >
          <option value="">any state</option>
          {RUN_STATES.map(state => (
            <option key={state} value={state}>
              {state}
            </option>
          ))}
        </select>
        {/* an icon: at the panel's default width the two lists need the room */}
        <button
          type="button"
          className="jp-batch-button jp-batch-icon-button"
          aria-label="Refresh"
          title="Read the runs again"
          onClick={props.onRefresh}
        >
          <refreshIcon.react tag="span" elementSize="small" />
        </button>
      </div>
      <ErrorBanner error={props.error} onRetry={props.onRefresh} />
      {!props.loading && total === 0 && !props.error && (
        <div className="jp-batch-empty">No runs{filter.workflow || filter.state ? ' match' : ' yet'}.</div>
      )}
      <VirtualList
        count={runs.length}
        rowHeight={ROW_HEIGHT}
        rowKey={i => String(runs[i].id)}
        renderRow={i => <RunRow run={runs[i]} onOpen={props.onOpen} />}
      />
      <div className="jp-batch-pager">
        <ActionButton
          label="«"
          title="newest"
          disabled={offset === 0}
          onClick={() => props.onPage(0)}
        />
        <ActionButton
          label="‹ Newer"
          disabled={offset === 0}
          onClick={() => props.onPage(offset - pageSize)}
        />
        <span className="jp-batch-pager-text">
          {first}–{last} of {total.toLocaleString()}
        </span>
        <ActionButton
          label="Older ›"
          disabled={offset + pageSize >= total}
          onClick={() => props.onPage(offset + pageSize)}
        />
        <ActionButton
          label="»"
          title="oldest"
          disabled={offset + pageSize >= total}
          onClick={() => props.onPage(total - 1)}
        />
      </div>
    </div>
  );
}
