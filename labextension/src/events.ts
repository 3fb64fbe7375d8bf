/**
 * State changes of runs and tasks, from Jupyter's event bus (the server emits them under
 * the schema below); the panel follows runs with them instead of polling.
 */
import type { Event } from '@jupyterlab/services';
import type { IDisposable } from '@lumino/disposable';
import { Signal } from '@lumino/signaling';
import type { ISignal } from '@lumino/signaling';

import type { RunState, TaskState } from './types';

export const STATE_CHANGE_SCHEMA = 'https://events.jupyter-batch.org/state_change/v1';
export const WORKFLOW_CHANGE_SCHEMA = 'https://events.jupyter-batch.org/workflow_change/v1';

interface IChangeBase {
  run_id: number;
  at: string;
  message: string | null;
  /** Not sent yet by the server (the schema allows it). */
  workflow?: string | null;
}

export interface IRunChange extends IChangeBase {
  kind: 'run';
  state: RunState;
}

export interface ITaskChange extends IChangeBase {
  kind: 'task';
  task_id: string;
  state: TaskState;
  attempt: number | null;
  exit_code: number | null;
}

/**
 * A task attempt's log grew (the server tells at most about once a second per attempt
 * while it writes); the run view reads the log on at each one.
 */
export interface ILogChange extends IChangeBase {
  kind: 'log';
  task_id: string;
  attempt: number | null;
}

export type StateChange = IRunChange | ITaskChange | ILogChange;

/** The state change an event bus emission carries, or null for any other event. */
export function parseEmission(emission: Event.Emission): StateChange | null {
  if (emission.schema_id !== STATE_CHANGE_SCHEMA) {
    return null;
  }
  const data = emission as unknown as Record<string, unknown>;
  if (typeof data.run_id !== 'number') {
    return null;
  }
  if (data.kind !== 'log' && typeof data.state !== 'string') {
    return null;
  }
  const base = {
    run_id: data.run_id,
    at: typeof data.at === 'string' ? data.at : new Date().toISOString(),
    message: typeof data.message === 'string' ? data.message : null,
    workflow: typeof data.workflow === 'string' ? data.workflow : null
  };
  if (data.kind === 'task' && typeof data.task_id === 'string') {
    return {
      ...base,
      kind: 'task',
      task_id: data.task_id,
      state: data.state as TaskState,
      attempt: typeof data.attempt === 'number' ? data.attempt : null,
      exit_code: typeof data.exit_code === 'number' ? data.exit_code : null
    };
  }
  if (data.kind === 'log' && typeof data.task_id === 'string') {
    return {
      ...base,
      kind: 'log',
      task_id: data.task_id,
      attempt: typeof data.attempt === 'number' ? data.attempt : null
    };
  }
  if (data.kind === 'run') {
    return { ...base, kind: 'run', state: data.state as RunState };
  }
  return null;
}

/** A workflow was saved, published, taken offline or deleted (here or elsewhere). */
export interface IWorkflowChange {
  workflow: string;
  what: 'saved' | 'published' | 'offline' | 'deleted';
  version: number | null;
  at: string;
}

const WORKFLOW_CHANGES = new Set(['saved', 'published', 'offline', 'deleted']);

/** The workflow change an event bus emission carries, or null for any other event. */
export function parseWorkflowEmission(emission: Event.Emission): IWorkflowChange | null {
  if (emission.schema_id !== WORKFLOW_CHANGE_SCHEMA) {
    return null;
  }
  const data = emission as unknown as Record<string, unknown>;
  if (typeof data.workflow !== 'string' || !WORKFLOW_CHANGES.has(data.what as string)) {
    return null;
  }
  return {
    workflow: data.workflow,
    what: data.what as IWorkflowChange['what'],
    version: typeof data.version === 'number' ? data.version : null,
    at: typeof data.at === 'string' ? data.at : new Date().toISOString()
  };
}

/** One subscription to the event bus, re-emitting jupyter-batch's changes. */
export class BatchEvents implements IDisposable {
  constructor(manager: Event.IManager) {
    this._manager = manager;
    manager.stream.connect(this._onEmission, this);
  }

  /** Every run or task state change, as it happens. */
  get changed(): ISignal<this, StateChange> {
    return this._changed;
  }

  /** Every workflow saved, published, taken offline or deleted, as it happens. */
  get workflowChanged(): ISignal<this, IWorkflowChange> {
    return this._workflowChanged;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    this._manager.stream.disconnect(this._onEmission, this);
    Signal.clearData(this);
  }

  private _onEmission(_: unknown, emission: Event.Emission): void {
    const change = parseEmission(emission);
    if (change) {
      this._changed.emit(change);
      return;
    }
    const workflowChange = parseWorkflowEmission(emission);
    if (workflowChange) {
      this._workflowChanged.emit(workflowChange);
    }
  }

  private _manager: Event.IManager;
  private _disposed = false;
  private _changed = new Signal<this, StateChange>(this);
  private _workflowChanged = new Signal<this, IWorkflowChange>(this);
}
