import { BatchApi, BatchApiError } from '../api';
import type { BatchEvents, IWorkflowChange, StateChange } from '../events';
import type { IRun, ISchedulerStatus, IWorkflowInfo } from '../types';
import { ViewModel } from './base';

/** Which scheduler leads the store, as read at the last refresh. */
export interface ISchedulerLead {
  status: ISchedulerStatus;
  /** when the leader took the lease, by this browser's clock; null when none leads */
  since: string | null;
}

/**
 * The workflows list, each shown workflow's newest run, and which scheduler leads.
 *
 * GET /workflows has no "last run" yet, so the newest run of each workflow on screen is
 * asked for (GET /runs?workflow=X&limit=1) when its row first shows, and again when a
 * run event may have changed it. A workflow saved, published, taken offline or deleted
 * anywhere (this panel, a notebook, a terminal) updates its row from an event.
 */
export class WorkflowsModel extends ViewModel {
  constructor(
    private readonly _api: BatchApi,
    events: BatchEvents
  ) {
    super();
    events.changed.connect(this._onChange, this);
    events.workflowChanged.connect(this._onWorkflowChange, this);
  }

  get workflows(): readonly IWorkflowInfo[] {
    return this._shown;
  }

  /** Every workflow (the search does not apply). */
  get all(): readonly IWorkflowInfo[] {
    return this._all;
  }

  /** Every workflow's name (the search does not apply). */
  get names(): string[] {
    return this._all.map(w => w.name);
  }

  get total(): number {
    return this._all.length;
  }

  get loaded(): boolean {
    return this._loaded;
  }

  get search(): string {
    return this._search;
  }

  /** Which scheduler leads the store; null until read, or when it cannot be. */
  get scheduler(): ISchedulerLead | null {
    return this._scheduler;
  }

  /** The workflow the panel points at (e.g. just created): its row is marked. */
  get revealed(): string | null {
    return this._revealed;
  }

  /** The newest run of a workflow: undefined while unknown, null when it never ran. */
  lastRun(name: string): IRun | null | undefined {
    return this._lastRuns.get(name);
  }

  /** Point at a workflow, clearing a search that hides it. */
  reveal(name: string): void {
    this._revealed = name;
    const workflow = this._all.find(w => w.name === name);
    if (workflow && !this._matches(workflow)) {
      this._search = '';
    }
    this._filter();
    this.emit();
  }

  setSearch(text: string): void {
    this._search = text;
    this._filter();
    this.emit();
  }

  /** Load the list, and which scheduler leads (read with it, never polled). */
  async refresh(): Promise<void> {
    const [workflows, scheduler] = await Promise.all([
      this.load(() => this._api.listWorkflows()),
      this._readScheduler()
    ]);
    this._scheduler = scheduler;
    if (workflows) {
      this._all = workflows;
      // the server tells each workflow's newest run; events keep them current from here
      for (const w of workflows) {
        if (w.last_run !== undefined) {
          this._lastRuns.set(w.name, w.last_run);
        }
      }
      this._loaded = true;
      this._filter();
    }
    this.emit();
  }

  /** The rows now on screen: fetch the last runs not known yet. */
  showing(names: string[]): void {
    this._visible = names;
    const missing = names.filter(n => !this._lastRuns.has(n) && !this._pending.has(n));
    void this._fetchLastRuns(missing);
  }

  /** After an action started runs of this workflow. */
  ranNow(name: string): void {
    void this._fetchLastRuns([name]);
  }

  private async _readScheduler(): Promise<ISchedulerLead | null> {
    try {
      const status = await this._api.schedulerStatus();
      const since =
        status.leading_for === null
          ? null
          : new Date(Date.now() - status.leading_for * 1000).toISOString();
      return { status, since };
    } catch {
      // an aside: the line is left out, and the list's own load shows what failed
      return null;
    }
  }

  private async _fetchLastRuns(names: string[]): Promise<void> {
    const wanted = names.filter(n => !this._pending.has(n));
    if (!wanted.length) {
      return;
    }
    wanted.forEach(n => this._pending.add(n));
    this._fetching++;
    await Promise.all(
      wanted.map(async name => {
        try {
          const page = await this._api.listRuns({ workflow: name, limit: 1 });
          this._lastRuns.set(name, page.runs[0] ?? null);
        } catch {
          // a transient failure: the row keeps "unknown" and is asked again later
        } finally {
          this._pending.delete(name);
        }
      })
    );
    this._fetching--;
    if (this._missed && this._fetching === 0) {
      // a run event came while the answers were on their way: they may be older
      this._missed = false;
      this.debounce('last-runs', 400, () => void this._fetchLastRuns(this._visible));
    }
    this.emit();
  }

  private _matches(w: IWorkflowInfo): boolean {
    const needle = this._search.trim().toLowerCase();
    return (
      w.name.toLowerCase().includes(needle) ||
      (w.description ?? '').toLowerCase().includes(needle)
    );
  }

  private _filter(): void {
    this._shown = this._search.trim() ? this._all.filter(w => this._matches(w)) : this._all;
  }

  private _onChange(_: unknown, change: StateChange): void {
    if (change.kind !== 'run') {
      return;
    }
    if (this._fetching > 0) {
      this._missed = true;
    }
    for (const [name, run] of this._lastRuns) {
      if (run && run.id === change.run_id) {
        this._lastRuns.set(name, { ...run, state: change.state });
        this.emit();
        return;
      }
    }
    // A run we do not know: a new one. The event does not name its workflow yet, so
    // ask again for the rows on screen, once per burst.
    if (change.workflow) {
      void this._fetchLastRuns([change.workflow]);
      return;
    }
    this.debounce('last-runs', 400, () => void this._fetchLastRuns(this._visible));
  }

  private _onWorkflowChange(_: unknown, change: IWorkflowChange): void {
    if (!this._loaded) {
      return; // the first load reads it
    }
    const name = change.workflow;
    if (change.what === 'deleted') {
      this._remove(name);
      return;
    }
    // a burst (save, then publish) is read once
    this.debounce(`workflow:${name}`, 100, () => void this._reread(name));
  }

  /** Read one workflow's row again, after it changed. */
  private async _reread(name: string): Promise<void> {
    let workflow: IWorkflowInfo;
    try {
      workflow = await this._api.getWorkflow(name);
    } catch (error) {
      if (BatchApiError.from(error).status === 404) {
        this._remove(name); // deleted meanwhile
      }
      return; // otherwise the row stays as it was; Refresh reads it again
    }
    const at = this._all.findIndex(w => w.name >= name);
    if (at >= 0 && this._all[at].name === name) {
      this._all[at] = workflow;
    } else {
      this._all.splice(at < 0 ? this._all.length : at, 0, workflow);
    }
    this._all = [...this._all];
    if (workflow.last_run !== undefined) {
      this._lastRuns.set(name, workflow.last_run);
    }
    this._filter();
    this.emit();
  }

  private _remove(name: string): void {
    if (!this._all.some(w => w.name === name)) {
      return;
    }
    this._all = this._all.filter(w => w.name !== name);
    this._lastRuns.delete(name);
    this._filter();
    this.emit();
  }

  private _all: IWorkflowInfo[] = [];
  private _shown: IWorkflowInfo[] = [];
  private _search = '';
  private _revealed: string | null = null;
  private _scheduler: ISchedulerLead | null = null;
  private _loaded = false;
  private _lastRuns = new Map<string, IRun | null>();
  private _pending = new Set<string>();
  private _visible: string[] = [];
  private _fetching = 0;
  private _missed = false;
}
