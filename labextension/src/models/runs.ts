import type { BatchApi } from '../api';
import type { BatchEvents, StateChange } from '../events';
import type { IRun, RunState } from '../types';
import { ViewModel } from './base';

export interface IRunsFilter {
  /** '' for every workflow */
  workflow: string;
  /** '' for every state */
  state: RunState | '';
}

/** One page of runs, newest first, filtered, kept current by the state-change events. */
export class RunsModel extends ViewModel {
  readonly pageSize: number;

  constructor(
    private readonly _api: BatchApi,
    events: BatchEvents,
    pageSize = 50
  ) {
    super();
    this.pageSize = pageSize;
    events.changed.connect(this._onChange, this);
  }

  get runs(): readonly IRun[] {
    return this._runs;
  }

  get total(): number {
    return this._total;
  }

  get offset(): number {
    return this._offset;
  }

  get filter(): IRunsFilter {
    return this._filter;
  }

  get loading(): boolean {
    return this._loading;
  }

  setFilter(filter: Partial<IRunsFilter>): void {
    this._filter = { ...this._filter, ...filter };
    this._offset = 0;
    void this.refresh();
  }

  /** Go to the page that starts at `offset` (clamped to the runs there are). */
  goTo(offset: number): void {
    const last = Math.max(0, Math.floor((this._total - 1) / this.pageSize) * this.pageSize);
    this._offset = Math.min(Math.max(0, offset), last);
    void this.refresh();
  }

  async refresh(): Promise<void> {
    const asked = { ...this._filter, offset: this._offset };
    this._loading = true;
    this.emit();
    const page = await this.load(() =>
      this._api.listRuns({
        workflow: asked.workflow || undefined,
        states: asked.state ? [asked.state] : undefined,
        limit: this.pageSize,
        offset: asked.offset
      })
    );
    this._loading = false;
    const current = { ...this._filter, offset: this._offset };
    if (page && JSON.stringify(asked) === JSON.stringify(current)) {
      this._runs = page.runs;
      this._total = page.total;
    }
    this.emit();
  }

  private _onChange(_: unknown, change: StateChange): void {
    if (change.kind !== 'run') {
      return;
    }
    const index = this._runs.findIndex(r => r.id === change.run_id);
    if (index >= 0) {
      const run = this._runs[index];
      this._runs = [...this._runs];
      this._runs[index] = { ...run, state: change.state };
      this.emit();
    }
    // New runs appear on the first page; a state filter can move runs in or out of
    // any page: ask again once per burst of events.
    // An answer on its way may be older than this event: ask again after it too.
    if (this._offset === 0 || this._filter.state || index >= 0 || this._loading) {
      this.debounce('refresh', 500, () => void this.refresh());
    }
  }

  private _runs: IRun[] = [];
  private _total = 0;
  private _offset = 0;
  private _loading = false;
  private _filter: IRunsFilter = { workflow: '', state: '' };
}
