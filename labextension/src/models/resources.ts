import type { BatchApi } from '../api';
import type { IAddedVersion, IResourceInfo, IResourceVersion } from '../types';
import { ViewModel } from './base';

/** The resources, and the versions of the one selected. */
export class ResourcesModel extends ViewModel {
  constructor(private readonly _api: BatchApi) {
    super();
  }

  get resources(): readonly IResourceInfo[] {
    return this._resources;
  }

  get loaded(): boolean {
    return this._loaded;
  }

  get selected(): string | null {
    return this._selected;
  }

  /** Versions of the selected resource, newest first. */
  get versions(): readonly IResourceVersion[] {
    return this._versions;
  }

  async refresh(): Promise<void> {
    const resources = await this.load(() => this._api.listResources());
    if (resources) {
      this._resources = [...resources].sort((a, b) => a.name.localeCompare(b.name));
      this._loaded = true;
    }
    if (this._selected) {
      await this._loadVersions(this._selected);
    }
    this.emit();
  }

  async select(name: string | null): Promise<void> {
    this._selected = name;
    this._versions = [];
    this.emit();
    if (name) {
      await this._loadVersions(name);
    }
  }

  /** Add `content` as a new version of `name` (the API throws its error). */
  async add(name: string, content: string, message: string): Promise<IAddedVersion> {
    const added = await this._api.addResource(name, content, message);
    await this.refresh();
    return added;
  }

  private async _loadVersions(name: string): Promise<void> {
    const versions = await this.load(() => this._api.resourceVersions(name));
    if (versions && this._selected === name) {
      this._versions = [...versions].sort((a, b) => b.version - a.version);
      this.emit();
    }
  }

  private _resources: IResourceInfo[] = [];
  private _loaded = false;
  private _selected: string | null = null;
  private _versions: IResourceVersion[] = [];
}
