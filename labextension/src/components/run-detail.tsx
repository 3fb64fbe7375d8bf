import React from 'react';

import type { BatchApiError } from '../api';
import { exitInWords, formatDuration, formatTime } from '../format';
import type { ILogState } from '../models/run-detail';
import type { IAttempt, ILayout, ILayoutNode, IRun, ITaskRun, TaskState } from '../types';
import { ActionButton, ErrorBanner, StateBadge } from './common';
import { DagView } from './dag';
import { LogView } from './log';
import { Timeline } from './timeline';

export interface IRunDetailActions {
  select: (task: string) => void;
  selectAttempt: (attempt: number | null) => void;
  refreshLog: () => void;
  rerun: (task: string, downstream: boolean) => void;
  stop: () => void;
  recover: () => void;
  openOutput: (task: string) => void;
  refresh: () => void;
}

export interface IRunDetailViewProps {
  run: IRun | null;
  layout: ILayout | null;
  states: ReadonlyMap<string, TaskState>;
  attempts: ReadonlyMap<string, IAttempt[]>;
  selected: string | null;
  log: ILogState | null;
  error: BatchApiError | null;
  now: number;
  actions: IRunDetailActions;
}

/**
 * Why a node has no log: a reference runs nothing; a task not reached yet has not
 * started; one passed over (an upstream failed, the run was stopped) did not run.
 */
function notRunText(node: ILayoutNode | undefined, taskRun: ITaskRun | undefined, run: IRun): string {
  if (node?.kind === 'reference') {
    const of = node.workflow ? ` until ${node.workflow} has succeeded` : '';
    return `A reference runs nothing: it waits${of} for ${run.logical_date}.`;
  }
  const state = taskRun?.state ?? 'pending';
  const runActive = run.state === 'queued' || run.state === 'running';
  if (runActive && ['pending', 'waiting', 'queued'].includes(state)) {
    return 'This task has not started yet: its log shows here once it runs.';
  }
  return `This task did not run${taskRun?.message ? `: ${taskRun.message}` : ''}.`;
}

function TaskPanel(props: IRunDetailViewProps & { task: string }): JSX.Element {
  const { run, layout, task, actions } = props;
  const node = layout?.nodes.find(n => n.id === task);
  const taskRun = run?.tasks?.find(t => t.id === task);
  const finished = run ? !['queued', 'running'].includes(run.state) : false;
  const attempts = props.attempts.get(task) ?? [];
  // attempt 0: no process ever started, so there is no log to follow
  const ran = (taskRun?.attempt ?? 0) > 0 || attempts.length > 0;
  const exit = exitInWords(taskRun?.exit_code, taskRun?.state === 'cancelled');
  return (
    <div className="jp-batch-task" data-task={task}>
      <div className="jp-batch-task-head">
        <span className="jp-batch-task-name">{task}</span>
        <span className="jp-batch-muted">{node?.type}</span>
        {taskRun && <StateBadge state={taskRun.state} />}
        {taskRun && taskRun.attempt > 0 && (
          <span className="jp-batch-muted">attempt {taskRun.attempt}</span>
        )}
        {exit && (
          <span className="jp-batch-muted" title={`exit code ${taskRun?.exit_code}`}>
            {exit}
          </span>
        )}
      </div>
      {ran && taskRun?.message && (
        <div className="jp-batch-task-message">{taskRun.message}</div>
      )}
      <div className="jp-batch-task-actions">
        <ActionButton
          label="Rerun"
          title={finished ? `Run ${task} again, alone` : 'Wait for the run to end, or stop it'}
          disabled={!finished || node?.kind === 'reference'}
          onClick={() => actions.rerun(task, false)}
        />
        <ActionButton
          label="Rerun with downstream"
          title={
            finished
              ? `Run ${task} again and everything below it`
              : 'Wait for the run to end, or stop it'
          }
          disabled={!finished}
          onClick={() => actions.rerun(task, true)}
        />
        {node?.type === 'notebook' && (
          <ActionButton
            label="Open output notebook"
            title="Open the executed notebook of this attempt"
            disabled={!taskRun || taskRun.attempt === 0}
            onClick={() => actions.openOutput(task)}
          />
        )}
      </div>
      {ran ? (
        <LogView
          log={props.log}
          attempts={attempts}
          onAttempt={actions.selectAttempt}
          onRefresh={actions.refreshLog}
        />
      ) : (
        run && <div className="jp-batch-task-notrun">{notRunText(node, taskRun, run)}</div>
      )}
    </div>
  );
}

/** One run: header and actions, the DAG, the attempts' timeline, the selected task. */
export function RunDetailView(props: IRunDetailViewProps): JSX.Element {
  const { run, layout, actions } = props;
  if (!run) {
    return (
      <div className="jp-batch-rundetail">
        <ErrorBanner error={props.error} onRetry={actions.refresh} />
        {!props.error && <div className="jp-batch-empty">Loading…</div>}
      </div>
    );
  }
  const active = run.state === 'queued' || run.state === 'running';
  const order = layout ? layout.nodes.map(n => n.id) : (run.tasks ?? []).map(t => t.id);
  return (
    <div className="jp-batch-rundetail" data-run-id={run.id} data-state={run.state}>
      <div className="jp-batch-rundetail-head">
        <span className="jp-batch-rundetail-title">
          Run #{run.id} · {run.workflow}
          {run.workflow_version ? ` v${run.workflow_version}` : ' (draft)'}
        </span>
        <StateBadge state={run.state} />
        <span className="jp-batch-muted">
          {run.logical_date} · {run.trigger} · {formatTime(run.started_at ?? run.created_at)}
          {run.started_at ? ` · ${formatDuration(run.started_at, run.ended_at, props.now)}` : ''}
        </span>
        <span className="jp-batch-spacer" />
        <ActionButton
          label="Stop run"
          title="End running tasks, cancel the rest"
          warn
          disabled={!active}
          onClick={actions.stop}
        />
        <ActionButton
          label="Recover"
          title="Rerun what failed, was cancelled or left unfinished"
          disabled={active}
          onClick={actions.recover}
        />
        <ActionButton label="Refresh" onClick={actions.refresh} />
      </div>
      {run.message && <div className="jp-batch-run-message">{run.message}</div>}
      <ErrorBanner error={props.error} onRetry={actions.refresh} />
      <div className="jp-batch-rundetail-dag">
        {layout ? (
          <DagView
            layout={layout}
            states={props.states}
            selected={props.selected}
            onSelect={actions.select}
          />
        ) : (
          <div className="jp-batch-empty">Loading the DAG…</div>
        )}
      </div>
      <div className="jp-batch-rundetail-bottom">
        <div className="jp-batch-rundetail-timeline">
          <div className="jp-batch-section-title">Attempts</div>
          <Timeline
            tasks={order}
            attempts={props.attempts}
            selected={props.selected}
            onSelect={actions.select}
            now={props.now}
          />
        </div>
        <div className="jp-batch-rundetail-task">
          {props.selected ? (
            <TaskPanel {...props} task={props.selected} />
          ) : (
            <div className="jp-batch-empty">Select a task to see its log and actions.</div>
          )}
        </div>
      </div>
    </div>
  );
}
