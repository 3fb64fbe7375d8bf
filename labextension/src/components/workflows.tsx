import React, { useCallback } from 'react';

import type { BatchApiError } from '../api';
import { formatDuration, formatTime, scheduleInWords, scheduleTooltip } from '../format';
import type { ISchedulerLead } from '../models/workflows';
import type { IRun, IWorkflowInfo } from '../types';
import { ActionButton, ErrorBanner, StateBadge, VirtualList } from './common';

export interface IWorkflowActions {
  /** its DAG and definitions in a tab, no run needed */
  openWorkflow: (name: string) => void;
  openRun: (runId: number) => void;
  prerun: (name: string) => void;
  runNow: (name: string) => void;
  backfill: (name: string) => void;
  publish: (name: string) => void;
  offline: (name: string) => void;
}

export interface IWorkflowsViewProps {
  workflows: readonly IWorkflowInfo[];
  total: number;
  loaded: boolean;
  lastRun: (name: string) => IRun | null | undefined;
  search: string;
  onSearch: (text: string) => void;
  /** the workflow pointed at (e.g. just created): marked and scrolled to */
  revealed: string | null;
  /** the rows on screen changed */
  onShowing: (names: string[]) => void;
  /** names with an action in flight */
  busy: ReadonlySet<string>;
  /** which scheduler leads the store (null: not known) */
  scheduler: ISchedulerLead | null;
  actions: IWorkflowActions;
  error: BatchApiError | null;
  onRefresh: () => void;
  /** show the Library tab, where a program becomes a workflow */
  onOpenLibrary: () => void;
}

/** room for a schedule line of two lines (its words and the next fire, zone named) */
const ROW_HEIGHT = 106;

/**
 * When the workflow runs next: the server's word when it gives one; else, for a
 * published "once" schedule still ahead, that time (a cron's next fire is left to the
 * server, which knows its time-zone rules).
 */
function nextRun(w: IWorkflowInfo): string | null {
  if (w.next_run_at !== undefined) {
    return w.next_run_at;
  }
  const once = w.draft.schedule?.once;
  const live = w.state === 'published' && !w.draft_changed;
  if (live && once && new Date(once).getTime() > Date.now()) {
    return once;
  }
  return null;
}

function LastRun(props: { run: IRun | null | undefined; onOpen: (id: number) => void }) {
  const { run } = props;
  if (run === undefined) {
    return <span className="jp-batch-muted">last run …</span>;
  }
  if (run === null) {
    return <span className="jp-batch-muted">never ran</span>;
  }
  return (
    <span className="jp-batch-lastrun">
      <span className="jp-batch-muted">last run</span>{' '}
      <button
        className="jp-batch-link"
        title={`open run ${run.id}`}
        onClick={() => props.onOpen(run.id)}
      >
        #{run.id}
      </button>{' '}
      <StateBadge state={run.state} /> <span className="jp-batch-muted">{run.logical_date}</span>
    </span>
  );
}

/** A lease holder (host:pid:tag) as the process it is: host:pid. */
function processOf(holder: string): string {
  const cut = holder.lastIndexOf(':');
  return cut > 0 ? holder.slice(0, cut) : holder;
}

/**
 * Which scheduler starts the scheduled runs: a quiet line while one leads, a warning
 * when none does.
 */
function SchedulerLine(props: { lead: ISchedulerLead | null }): JSX.Element | null {
  if (!props.lead) {
    return null;
  }
  const { status, since } = props.lead;
  if (status.leader === null) {
    return (
      <div
        className="jp-batch-scheduler jp-mod-warn"
        role="alert"
        title={
          status.running_here
            ? "This server's scheduler takes the lead at its next try."
            : 'Start one: jupyter batch scheduler, or a JupyterLab server on this store.'
        }
      >
        No scheduler leads this store: published schedules are not firing
      </div>
    );
  }
  const standsBy = status.running_here && !status.leads_here;
  return (
    <div
      className="jp-batch-scheduler"
      title={`${status.leader} holds the scheduler lease since ${formatTime(since)}${
        standsBy ? "; this server's scheduler stands by" : ''
      }`}
    >
      Scheduler:{' '}
      {status.leads_here
        ? `this server leads (for ${formatDuration(since, null)})`
        : `led by ${processOf(status.leader)}`}
    </div>
  );
}

function WorkflowRow(props: {
  workflow: IWorkflowInfo;
  lastRun: IRun | null | undefined;
  busy: boolean;
  revealed: boolean;
  actions: IWorkflowActions;
}): JSX.Element {
  const { workflow: w, actions, busy } = props;
  const published = w.state === 'published';
  const next = nextRun(w);
  return (
    <div
      className={`jp-batch-workflow${props.revealed ? ' jp-mod-selected' : ''}`}
      data-workflow={w.name}
    >
      <div className="jp-batch-workflow-head">
        <button
          className="jp-batch-link jp-batch-workflow-name"
          title={`${w.name}${w.description ? `: ${w.description}` : ''} (open its DAG)`}
          onClick={() => actions.openWorkflow(w.name)}
        >
          {w.name}
        </button>
        <span
          className={`jp-batch-wfstate jp-batch-wfstate-${w.state}`}
          title={
            w.latest_version
              ? `version ${w.latest_version}${w.draft_changed ? ', draft changed since' : ''}`
              : 'never published'
          }
        >
          {w.state}
          {w.latest_version ? ` v${w.latest_version}` : ''}
          {w.draft_changed && w.latest_version ? '*' : ''}
        </span>
      </div>
      <div
        className="jp-batch-workflow-line jp-batch-muted jp-batch-workflow-schedule"
        title={scheduleTooltip(w.draft.schedule, next)}
      >
        {scheduleInWords(w.draft.schedule, next)}
      </div>
      <div className="jp-batch-workflow-line">
        <LastRun run={props.lastRun} onOpen={actions.openRun} />
      </div>
      <div className="jp-batch-workflow-actions">
        <ActionButton
          label="Pre-run"
          title="Run the draft now, as a test"
          disabled={busy}
          onClick={() => actions.prerun(w.name)}
        />
        {published && (
          <ActionButton
            label="Run…"
            title="Run the published version for a date"
            disabled={busy}
            onClick={() => actions.runNow(w.name)}
          />
        )}
        {published && (
          <ActionButton
            label="Backfill…"
            title="One run per date of a range, one after the other"
            disabled={busy}
            onClick={() => actions.backfill(w.name)}
          />
        )}
        {(!published || w.draft_changed) && (
          <ActionButton
            label="Publish"
            title={
              w.latest_version
                ? 'Publish the changed draft as a new version'
                : 'Publish the draft as version 1'
            }
            disabled={busy}
            onClick={() => actions.publish(w.name)}
          />
        )}
        {published && (
          <ActionButton
            label="Offline"
            title="Stop scheduling it"
            disabled={busy}
            onClick={() => actions.offline(w.name)}
          />
        )}
      </div>
    </div>
  );
}

export function WorkflowsView(props: IWorkflowsViewProps): JSX.Element {
  const { workflows, onShowing } = props;
  const onRange = useCallback(
    (start: number, end: number) => onShowing(workflows.slice(start, end).map(w => w.name)),
    [workflows, onShowing]
  );
  return (
    <div className="jp-batch-view jp-batch-workflows">
      <div className="jp-batch-toolbar">
        <input
          className="jp-batch-search"
          type="search"
          placeholder={`Filter ${props.total} workflows`}
          value={props.search}
          onChange={event => props.onSearch(event.target.value)}
        />
        <ActionButton label="Refresh" onClick={props.onRefresh} />
      </div>
      <ErrorBanner error={props.error} onRetry={props.onRefresh} />
      {props.loaded && workflows.length === 0 && (
        <div className="jp-batch-empty">
          {props.total === 0 ? (
            <>
              No workflows yet. Create one from a built-in program: open the{' '}
              <button className="jp-batch-link" onClick={props.onOpenLibrary}>
                Library tab
              </button>
              , pick a program, then <em>Use program</em>. Or save your own with the batch
              client in a notebook, the CLI (jupyter batch workflow save) or POST
              /batch/api/workflows.
            </>
          ) : (
            'No workflow matches the filter.'
          )}
        </div>
      )}
      <VirtualList
        count={workflows.length}
        rowHeight={ROW_HEIGHT}
        rowKey={i => workflows[i].name}
        onRange={onRange}
        scrollTo={workflows.findIndex(w => w.name === props.revealed)}
        renderRow={i => (
          <WorkflowRow
            workflow={workflows[i]}
            lastRun={props.lastRun(workflows[i].name)}
            busy={props.busy.has(workflows[i].name)}
            revealed={workflows[i].name === props.revealed}
            actions={props.actions}
          />
        )}
      />
      <SchedulerLine lead={props.scheduler} />
    </div>
  );
}
