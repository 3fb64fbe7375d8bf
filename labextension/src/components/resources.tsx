import React, { useEffect, useState } from 'react';

import type { BatchApiError } from '../api';
import { formatTime } from '../format';
import type { IResourceInfo, IResourceVersion } from '../types';
import { ActionButton, ErrorBanner, VirtualList } from './common';

export interface IResourceActions {
  select: (name: string | null) => void;
  open: (name: string, version: number) => void;
  diff: (name: string, from: number, to: number) => void;
  /** upload the file open in the main area as a new version of `name` */
  uploadCurrent: (name: string) => void;
  refresh: () => void;
}

/** A choice of one of a resource's versions (the two ends of a diff). */
function VersionSelect(props: {
  label: string;
  versions: readonly IResourceVersion[];
  value: number;
  onChange: (version: number) => void;
}): JSX.Element {
  return (
    <select
      className="jp-batch-select"
      aria-label={props.label}
      value={props.value}
      onChange={event => props.onChange(Number(event.target.value))}
    >
      {props.versions.map(v => (
        <option key={v.version} value={v.version}>
          v{v.version}
        </option>
      ))}
    </select>
  );
}

export interface IResourcesViewProps {
  resources: readonly IResourceInfo[];
  loaded: boolean;
  selected: string | null;
  versions: readonly IResourceVersion[];
  error: BatchApiError | null;
  actions: IResourceActions;
}

/** Formats that are not text: no editor tab, no diff. */
const BINARY = new Set(['jar', 'zip', 'tar', 'tar.gz']);

function sizeText(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${(bytes / 1024).toFixed(1)} KiB`;
}

function Versions(props: {
  name: string;
  format: string;
  /** a built-in program's: no new versions from users */
  readOnly: boolean;
  versions: readonly IResourceVersion[];
  actions: IResourceActions;
}): JSX.Element {
  const { name, versions, actions } = props;
  const text = !BINARY.has(props.format);
  const newest = versions[0]?.version ?? 0;
  const [from, setFrom] = useState(Math.max(1, newest - 1));
  const [to, setTo] = useState(newest);
  useEffect(() => {
    setFrom(Math.max(1, newest - 1));
    setTo(newest);
  }, [name, newest]);
  return (
    <div className="jp-batch-versions" data-resource={name}>
      <div className="jp-batch-section-title">
        {name}
        <span className="jp-batch-spacer" />
        <ActionButton label="×" title="Close" onClick={() => actions.select(null)} />
      </div>
      <div className="jp-batch-toolbar">
        {props.readOnly ? (
          <span className="jp-batch-muted">
            Part of the library: read-only (copy it from the Library tab to change it)
          </span>
        ) : (
          <ActionButton
            label="Upload current file"
            title={`Add the file open in the editor as a new version of ${name}`}
            onClick={() => actions.uploadCurrent(name)}
          />
        )}
      </div>
      {text && versions.length > 1 && (
        <div className="jp-batch-toolbar jp-batch-diffbar">
          <span>Diff</span>
          <VersionSelect label="diff from" versions={versions} value={from} onChange={setFrom} />
          <span>→</span>
          <VersionSelect label="diff to" versions={versions} value={to} onChange={setTo} />
          <ActionButton
            label="Show diff"
            disabled={from === to}
            onClick={() => actions.diff(name, from, to)}
          />
        </div>
      )}
      <ul className="jp-batch-version-list">
        {versions.map(v => (
          <li key={v.version} className="jp-batch-version" data-version={v.version}>
            <div className="jp-batch-version-line">
              <span className="jp-batch-version-number">v{v.version}</span>
              <span className="jp-batch-version-message" title={v.message}>
                {v.message || <span className="jp-batch-muted">(no message)</span>}
              </span>
              <ActionButton
                label="Open"
                title={text ? `Open ${name}@${v.version} read-only` : 'Not a text file'}
                disabled={!text}
                onClick={() => actions.open(name, v.version)}
              />
            </div>
            <div
              className="jp-batch-muted jp-batch-version-meta"
              title={`by ${v.author}, sha256 ${v.sha256}`}
            >
              {formatTime(v.created_at)} · {sizeText(v.size)} · {v.author}
            </div>
          </li>
        ))}
      </ul>
    </div>
  );
}

/**
 * A resource's name split in two: the file name, bold, and its folder ("library/"),
 * which goes to the quieter line below so a long name fits the panel.
 */
function splitName(name: string): { folder: string; file: string } {
  const cut = name.lastIndexOf('/') + 1;
  return { folder: name.slice(0, cut), file: name.slice(cut) };
}

export function ResourcesView(props: IResourcesViewProps): JSX.Element {
  const { resources, selected, actions } = props;
  const info = resources.find(r => r.name === selected);
  return (
    <div className="jp-batch-view jp-batch-resources">
      <div className="jp-batch-toolbar">
        <span className="jp-batch-muted" title="Right-click a file in the file browser to add it">
          {resources.length} resources
        </span>
        <span className="jp-batch-spacer" />
        <ActionButton label="Refresh" onClick={actions.refresh} />
      </div>
      <ErrorBanner error={props.error} onRetry={actions.refresh} />
      {props.loaded && resources.length === 0 && (
        <div className="jp-batch-empty">
          No resources yet. Right-click a .ipynb, .py, .sh, .sql or .hql file in the file
          browser and choose “Add to Batch as resource”.
        </div>
      )}
      <VirtualList
        className={selected ? 'jp-mod-half' : ''}
        count={resources.length}
        rowHeight={40}
        rowKey={i => resources[i].name}
        renderRow={i => {
          const r = resources[i];
          const { folder, file } = splitName(r.name);
          return (
            <div
              className={`jp-batch-resource${r.name === selected ? ' jp-mod-selected' : ''}`}
              data-resource={r.name}
              role="button"
              tabIndex={0}
              onClick={() => actions.select(r.name === selected ? null : r.name)}
              onKeyDown={event => event.key === 'Enter' && actions.select(r.name)}
            >
              <div className="jp-batch-run-line">
                <span className="jp-batch-resource-name" title={r.name}>
                  {file}
                </span>
              </div>
              <div className="jp-batch-muted jp-batch-resource-meta">
                {folder ? `in ${folder} · ` : ''}v{r.latest_version} · {r.format} ·{' '}
                {formatTime(r.updated_at)}
              </div>
            </div>
          );
        }}
      />
      {selected && (
        <Versions
          name={selected}
          format={info?.format ?? ''}
          readOnly={info?.namespace === 'library'}
          versions={props.versions}
          actions={actions}
        />
      )}
    </div>
  );
}
