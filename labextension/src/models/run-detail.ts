import { BatchApiError } from '../api';
import type { BatchApi } from '../api';
import type { BatchEvents, StateChange } from '../events';
import type { IAttempt, ILayout, IRun, ITaskRun, TaskState } from '../types';
import { ViewModel } from './base';

const FINISHED: ReadonlySet<TaskState> = new Set<TaskState>([
  'success',
  'failed',
  'skipped',
  'upstream_failed',
  'cancelled'
]);

export interface ILogState {
  task: string;
  /** the attempt shown; follows new attempts while `latest` */
  attempt: number;
  latest: boolean;
  text: string;
  nextOffset: number;
  complete: boolean;
  error: BatchApiError | null;
}

/**
 * One run: its DAG layout, task states (changed live from events), every task's
 * attempts, and the log of the selected task, followed while it runs — each event about
 * that task asks the log endpoint for what was written since `next_offset`.
 */
export class RunDetailModel extends ViewModel {
  constructor(
    private readonly _api: BatchApi,
    events: BatchEvents,
    readonly runId: number
  ) {
    super();
    events.changed.connect(this._onChange, this);
  }

  get run(): IRun | null {
    return this._run;
  }

  get layout(): ILayout | null {
    return this._layout;
  }

  /**
   * Every task's attempts. The newest one takes the state the events said since it was
   * read (the attempts are read again only once a burst of events is over).
   */
  get attempts(): ReadonlyMap<string, IAttempt[]> {
    const merged = new Map<string, IAttempt[]>();
    for (const [task, list] of this._attempts) {
      const live = this.task(task);
      const last = list[list.length - 1];
      if (!live || !last || live.attempt !== last.attempt || live.state === last.state) {
        merged.set(task, list);
        continue;
      }
      merged.set(task, [
        ...list.slice(0, -1),
        {
          ...last,
          state: live.state,
          started_at: last.started_at ?? live.started_at,
          ended_at: last.ended_at ?? (FINISHED.has(live.state) ? live.ended_at : null)
        }
      ]);
    }
    return merged;
  }

  get selected(): string | null {
    return this._selected;
  }

  get log(): ILogState | null {
    return this._log;
  }

  /** The state of each task run (a node without one has not been reached yet). */
  taskStates(): Map<string, TaskState> {
    return new Map((this._run?.tasks ?? []).map(t => [t.id, t.state]));
  }

  task(id: string): ITaskRun | undefined {
    return this._run?.tasks?.find(t => t.id === id);
  }

  async refresh(): Promise<void> {
    const run = await this.load(() => this._getRun());
    if (!run) {
      return;
    }
    this._run = run;
    if (!this._layout) {
      this._layout =
        (await this.load(() => this._api.layout(run.workflow, run.workflow_version))) ?? null;
    }
    await this._fetchAttempts((run.tasks ?? []).map(t => t.id));
    if (this._selected) {
      void this._followLog();
    }
    this.emit();
  }

  select(task: string | null): void {
    if (task === this._selected) {
      return;
    }
    this._selected = task;
    this._log = null;
    this.emit();
    if (task) {
      void this._followLog();
    }
  }

  /** Show one attempt's log (null: the latest, following new attempts). */
  selectAttempt(attempt: number | null): void {
    if (!this._selected) {
      return;
    }
    this._log = {
      task: this._selected,
      attempt: attempt ?? 0,
      latest: attempt === null,
      text: '',
      nextOffset: 0,
      complete: false,
      error: null
    };
    this.emit();
    void this._followLog();
  }

  /** Read what the selected task's log has gained (also the "refresh" button). */
  followLog(): void {
    void this._followLog();
  }

  private async _followLog(): Promise<void> {
    if (this._logBusy) {
      this._logAgain = true;
      return;
    }
    this._logBusy = true;
    try {
      do {
        this._logAgain = false;
        await this._readLog();
      } while (this._logAgain && !this.isDisposed);
    } finally {
      this._logBusy = false;
    }
  }

  private async _readLog(): Promise<void> {
    const task = this._selected;
    if (!task) {
      return;
    }
    let log = this._log && this._log.task === task ? this._log : null;
    const latestAttempt = this.task(task)?.attempt ?? 0;
    if (latestAttempt === 0 && (!log || log.latest)) {
      return; // never started: no log to ask for (its first attempt's event brings one)
    }
    if (log && log.latest && log.attempt !== latestAttempt && latestAttempt > 0) {
      log = null; // a new attempt started (a retry or a rerun): follow it from its start
    }
    if (log?.complete) {
      return;
    }
    try {
      const chunk = await this._api.log(
        this.runId,
        task,
        log?.nextOffset ?? 0,
        log && !log.latest ? log.attempt : undefined
      );
      if (this._selected !== task) {
        return;
      }
      const current = this._log && this._log.task === task ? this._log : null;
      const sameAttempt = current && current.attempt === chunk.attempt;
      this._log = {
        task,
        attempt: chunk.attempt,
        latest: current ? current.latest : true,
        text: (sameAttempt ? current.text : '') + chunk.text,
        nextOffset: chunk.next_offset,
        complete: chunk.complete,
        error: null
      };
    } catch (error) {
      const e = BatchApiError.from(error);
      this._log = {
        task,
        attempt: log?.attempt ?? 0,
        latest: log?.latest ?? true,
        text: log?.text ?? '',
        nextOffset: log?.nextOffset ?? 0,
        complete: false,
        // a task that has not started has no log yet: not an error worth showing
        error: e.status === 404 ? null : e
      };
    }
    this.emit();
  }

  private async _fetchAttempts(tasks: string[]): Promise<void> {
    await Promise.all(
      tasks.map(async task => {
        try {
          this._attempts.set(task, await this._api.attempts(this.runId, task));
        } catch {
          // shown as "no attempts" until the next event about the task
        }
      })
    );
  }

  /**
   * GET the run. An event that arrives while the answer is on its way may be newer
   * than the answer: then the run is read again once the burst is over.
   */
  private async _getRun(): Promise<IRun> {
    this._fetching++;
    try {
      return await this._api.getRun(this.runId);
    } finally {
      this._fetching--;
      if (this._missed && this._fetching === 0) {
        this._missed = false;
        this.debounce('details', 300, () => void this._refreshDetails());
      }
    }
  }

  private _onChange(_: unknown, change: StateChange): void {
    if (change.run_id !== this.runId) {
      return;
    }
    if (change.kind === 'log') {
      if (change.task_id === this._selected) {
        void this._followLog();
      }
      return;
    }
    if (change.kind === 'task') {
      this._changedTasks.add(change.task_id);
    }
    if (this._fetching > 0) {
      this._missed = true;
    }
    if (!this._run) {
      return; // the first answer is on its way (or failed: "Refresh" asks again)
    }
    if (change.kind === 'run') {
      this._run = { ...this._run, state: change.state };
    } else {
      const tasks = [...(this._run.tasks ?? [])];
      const index = tasks.findIndex(t => t.id === change.task_id);
      const previous = index >= 0 ? tasks[index] : undefined;
      const attempt = change.attempt ?? previous?.attempt ?? 0;
      const sameAttempt = previous?.attempt === attempt;
      const updated: ITaskRun = {
        id: change.task_id,
        state: change.state,
        attempt,
        exit_code: change.exit_code ?? (sameAttempt ? previous?.exit_code : null) ?? null,
        message: change.message ?? null,
        outputs: previous?.outputs ?? null,
        started_at:
          change.state === 'running' && !(sameAttempt && previous?.started_at)
            ? change.at
            : previous?.started_at ?? null,
        ended_at: FINISHED.has(change.state) ? change.at : null
      };
      if (index >= 0) {
        tasks[index] = updated;
      } else {
        tasks.push(updated);
      }
      this._run = { ...this._run, tasks };
      if (change.task_id === this._selected) {
        void this._followLog();
      }
    }
    this.emit();
    // times, exit codes and attempts: read once per burst of events
    this.debounce('details', 300, () => void this._refreshDetails());
  }

  private async _refreshDetails(): Promise<void> {
    const tasks = [...this._changedTasks];
    this._changedTasks.clear();
    try {
      this._run = await this._getRun();
    } catch {
      // keep what the events said
    }
    await this._fetchAttempts(tasks);
    this.emit();
  }

  private _run: IRun | null = null;
  private _layout: ILayout | null = null;
  private _attempts = new Map<string, IAttempt[]>();
  private _selected: string | null = null;
  private _log: ILogState | null = null;
  private _logBusy = false;
  private _logAgain = false;
  private _changedTasks = new Set<string>();
  private _fetching = 0;
  private _missed = false;
}
