import React from 'react';

import type { BatchApiError } from '../api';
import { formatTime, scheduleInWords } from '../format';
import type {
  ILayout,
  ILayoutNode,
  IWorkflowFile,
  IWorkflowInfo,
  IWorkflowVersionInfo
} from '../types';
import { ActionButton, ErrorBanner } from './common';
import { DagView } from './dag';

export interface IWorkflowViewActions {
  select: (node: string) => void;
  setVersion: (version: number | null) => void;
  prerun: () => void;
  publish: () => void;
  openRuns: () => void;
  refresh: () => void;
}

export interface IWorkflowViewProps {
  name: string;
  /** the version shown; null: the draft */
  version: number | null;
  info: IWorkflowInfo | null;
  versions: readonly IWorkflowVersionInfo[];
  layout: ILayout | null;
  document: IWorkflowFile | null;
  selected: string | null;
  busy: boolean;
  error: BatchApiError | null;
  actions: IWorkflowViewActions;
}

/** The options a task's details list first, in this order, with their labels. */
const TASK_FIELDS: [string, string][] = [
  ['resource', 'Resource'],
  ['files', 'Files'],
  ['command', 'Command'],
  ['code', 'Code'],
  ['args', 'Arguments'],
  ['params', 'Params'],
  ['timeout', 'Timeout'],
  ['retries', 'Retries'],
  ['retry_delay', 'Retry delay']
];
const NOT_SHOWN = new Set(['id', 'type']);

function seconds(value: unknown): string {
  return typeof value === 'number' ? `${value} s` : String(value);
}

function valueText(key: string, value: unknown): string {
  if (key === 'timeout' || key === 'retry_delay') {
    return seconds(value);
  }
  if (typeof value === 'string') {
    return value;
  }
  if (Array.isArray(value) && value.every(v => typeof v === 'string')) {
    return value.join(', ');
  }
  return JSON.stringify(value, null, 1);
}

function Field(props: { label: string; value: string; name: string }): JSX.Element {
  const long = props.value.includes('\n') || props.value.length > 60;
  return (
    <>
      <dt>{props.label}</dt>
      <dd data-field={props.name}>
        {long ? <pre className="jp-batch-spec-pre">{props.value}</pre> : props.value}
      </dd>
    </>
  );
}

/** The selected node as the workflow file defines it, and what it waits for. */
function NodeDetails(props: {
  node: ILayoutNode;
  document: IWorkflowFile | null;
  layout: ILayout;
}): JSX.Element {
  const { node, document, layout } = props;
  const spec: Record<string, unknown> =
    (node.kind === 'reference'
      ? document?.references?.find(r => r.id === node.id)
      : document?.tasks.find(t => t.id === node.id)) ?? {};
  const upstream = layout.edges.filter(e => e.to === node.id).map(e => e.from);
  const downstream = layout.edges.filter(e => e.from === node.id).map(e => e.to);
  const known = new Set(TASK_FIELDS.map(([key]) => key));
  const fields: [string, string, unknown][] = [
    ...TASK_FIELDS.filter(([key]) => spec[key] !== undefined).map(
      ([key, label]): [string, string, unknown] => [key, label, spec[key]]
    ),
    ...Object.keys(spec)
      .filter(key => !known.has(key) && !NOT_SHOWN.has(key))
      .map((key): [string, string, unknown] => [key, key, spec[key]])
  ];
  return (
    <div className="jp-batch-task jp-batch-spec" data-task={node.id}>
      <div className="jp-batch-task-head">
        <span className="jp-batch-task-name">{node.id}</span>
        <span className="jp-batch-muted">
          {node.kind === 'reference' ? 'reference' : node.type}
        </span>
      </div>
      <dl className="jp-batch-spec-fields">
        <Field
          label="Type"
          name="type"
          value={node.kind === 'reference' ? `reference to ${node.workflow}` : node.type}
        />
        {fields.map(([key, label, value]) => (
          <Field key={key} label={label} name={key} value={valueText(key, value)} />
        ))}
        {node.kind === 'task' && spec.timeout === undefined && (
          <Field label="Timeout" name="timeout" value="not set" />
        )}
        {node.kind === 'task' && spec.retries === undefined && (
          <Field label="Retries" name="retries" value="not set" />
        )}
        <Field label="After" name="upstream" value={upstream.join(', ') || '—'} />
        <Field label="Before" name="downstream" value={downstream.join(', ') || '—'} />
      </dl>
    </div>
  );
}

/** A workflow's definition: its DAG without states, the selected node's details. */
export function WorkflowView(props: IWorkflowViewProps): JSX.Element {
  const { info, layout, actions, version } = props;
  const draft = version === null;
  const published = info?.state === 'published';
  const canPublish = draft && !!info && (!published || info.draft_changed);
  const shown = props.versions.find(v => v.version === version);
  const node = layout?.nodes.find(n => n.id === props.selected);
  return (
    <div
      className="jp-batch-workflowview"
      data-workflow={props.name}
      data-version={draft ? 'draft' : String(version)}
    >
      <div className="jp-batch-rundetail-head">
        <span className="jp-batch-rundetail-title">{props.name}</span>
        {info && (
          <span className={`jp-batch-wfstate jp-batch-wfstate-${info.state}`}>
            {info.state}
            {info.latest_version ? ` v${info.latest_version}` : ''}
          </span>
        )}
        <select
          aria-label="version"
          value={draft ? 'draft' : String(version)}
          onChange={event =>
            actions.setVersion(event.target.value === 'draft' ? null : Number(event.target.value))
          }
        >
          <option value="draft">
            draft{info?.latest_version && info.draft_changed ? ' (changed)' : ''}
          </option>
          {[...props.versions].reverse().map(v => (
            <option key={v.version} value={v.version}>
              version {v.version}
            </option>
          ))}
        </select>
        <span className="jp-batch-muted">
          {draft
            ? scheduleInWords(props.document?.schedule)
            : shown
              ? `published ${formatTime(shown.published_at)}${shown.author ? ` by ${shown.author}` : ''}${shown.message ? `: ${shown.message}` : ''}`
              : ''}
        </span>
        <span className="jp-batch-spacer" />
        <ActionButton
          label={draft ? 'Pre-run' : 'Pre-run the draft'}
          title="Run the draft now, as a test (a version runs through Run… in the side panel)"
          disabled={props.busy}
          onClick={actions.prerun}
        />
        {canPublish && (
          <ActionButton
            label="Publish"
            title={
              info?.latest_version
                ? 'Publish the changed draft as a new version'
                : 'Publish the draft as version 1'
            }
            disabled={props.busy}
            onClick={actions.publish}
          />
        )}
        <ActionButton label="Runs" title="Its runs, in the side panel" onClick={actions.openRuns} />
        <ActionButton label="Refresh" onClick={actions.refresh} />
      </div>
      {props.document?.description && (
        <div className="jp-batch-run-message">{props.document.description}</div>
      )}
      <ErrorBanner error={props.error} onRetry={actions.refresh} />
      <div className="jp-batch-rundetail-dag">
        {layout ? (
          <DagView
            layout={layout}
            states={new Map()}
            selected={props.selected}
            onSelect={actions.select}
            definition
          />
        ) : (
          !props.error && <div className="jp-batch-empty">Loading the DAG…</div>
        )}
      </div>
      <div className="jp-batch-workflowview-detail">
        {node && layout ? (
          <NodeDetails node={node} document={props.document} layout={layout} />
        ) : (
          layout && <div className="jp-batch-empty">Select a task to see how it is defined.</div>
        )}
      </div>
    </div>
  );
}
