import type { BatchApi } from '../api';
import type {
  ILayout,
  IWorkflowFile,
  IWorkflowInfo,
  IWorkflowVersionInfo
} from '../types';
import { ViewModel } from './base';

/**
 * One workflow as it is defined, without a run: the draft or a published version, its
 * DAG (from the layout route, as the run view draws it) and its document, for the
 * details of the selected node. Never polled: read on open, on Refresh, and when the
 * panel's list shows that the workflow changed.
 */
export class WorkflowViewModel extends ViewModel {
  constructor(
    private readonly _api: BatchApi,
    readonly name: string,
    version: number | null
  ) {
    super();
    this._version = version;
  }

  /** The version shown; null: the draft. */
  get version(): number | null {
    return this._version;
  }

  get info(): IWorkflowInfo | null {
    return this._info;
  }

  get versions(): readonly IWorkflowVersionInfo[] {
    return this._versions;
  }

  get layout(): ILayout | null {
    return this._layout;
  }

  /** The document shown (the draft or the version's). */
  get document(): IWorkflowFile | null {
    return this._document;
  }

  get selected(): string | null {
    return this._selected;
  }

  get loading(): boolean {
    return this._loading;
  }

  select(node: string): void {
    this._selected = node;
    this.emit();
  }

  /** Show the draft (null) or a published version. */
  setVersion(version: number | null): Promise<void> {
    this._version = version;
    this._layout = null;
    this._document = null;
    return this.refresh();
  }

  async refresh(): Promise<void> {
    const version = this._version;
    this._loading = true;
    this.emit();
    const loaded = await this.load(() =>
      Promise.all([
        this._api.getWorkflow(this.name),
        this._api.workflowVersions(this.name),
        this._api.layout(this.name, version),
        version === null ? Promise.resolve(null) : this._api.workflowVersion(this.name, version)
      ])
    );
    if (version !== this._version) {
      return; // another version was asked for meanwhile: its answer counts
    }
    this._loading = false;
    if (loaded) {
      const [info, versions, layout, published] = loaded;
      this._info = info;
      this._versions = versions;
      this._layout = layout;
      this._document = published ? published.definition : info.draft;
      if (this._selected && !layout.nodes.some(n => n.id === this._selected)) {
        this._selected = null;
      }
    }
    this.emit();
  }

  /** The panel's list was read again: reload when it shows this workflow changed. */
  listed(info: IWorkflowInfo | undefined): void {
    const mine = this._info;
    if (!info || !mine || this._loading) {
      return;
    }
    if (
      info.updated_at !== mine.updated_at ||
      info.latest_version !== mine.latest_version ||
      info.state !== mine.state
    ) {
      void this.refresh();
    }
  }

  private _version: number | null;
  private _info: IWorkflowInfo | null = null;
  private _versions: IWorkflowVersionInfo[] = [];
  private _layout: ILayout | null = null;
  private _document: IWorkflowFile | null = null;
  private _selected: string | null = null;
  private _loading = false;
}
