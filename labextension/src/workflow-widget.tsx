/**
 * A workflow in a main-area tab: its DAG as defined (the draft or a published version),
 * the selected task's definition, and Pre-run / Publish. No run is needed to see it.
 */
import { ReactWidget } from '@jupyterlab/apputils';
import React from 'react';

import type { BatchApi } from './api';
import { WorkflowView } from './components/workflow-view';
import type { IWorkflowViewActions } from './components/workflow-view';
import { WorkflowViewModel } from './models/workflow-view';
import type { WorkflowsModel } from './models/workflows';

/** What the side panel does for a workflow, shared so both act the same way. */
export interface IWorkflowCommands {
  prerun: (name: string) => Promise<void>;
  publish: (name: string) => Promise<void>;
  openRuns: (name: string) => void;
}

export class WorkflowWidget extends ReactWidget {
  readonly model: WorkflowViewModel;

  constructor(
    api: BatchApi,
    private readonly _list: WorkflowsModel,
    private readonly _commands: IWorkflowCommands,
    name: string,
    version: number | null = null
  ) {
    super();
    this.addClass('jp-batch-workflow-widget');
    this.model = new WorkflowViewModel(api, name, version);
    this.model.changed.connect(() => this.update(), this);
    // the panel's list follows every workflow change (its events, a Refresh): when its
    // row of this workflow changed, this tab reads the workflow again
    _list.changed.connect(this._onListed, this);
    void this.model.refresh();
  }

  get workflow(): string {
    return this.model.name;
  }

  dispose(): void {
    this._list.changed.disconnect(this._onListed, this);
    this.model.dispose();
    super.dispose();
  }

  private _onListed(): void {
    if (this._list.loaded) {
      this.model.listed(this._list.all.find(w => w.name === this.model.name));
    }
  }

  private async _do(work: (name: string) => Promise<void>): Promise<void> {
    this._busy = true;
    this.update();
    try {
      await work(this.model.name);
    } finally {
      this._busy = false;
      this.update();
    }
  }

  private _actions: IWorkflowViewActions = {
    select: node => this.model.select(node),
    setVersion: version => void this.model.setVersion(version),
    prerun: () => void this._do(this._commands.prerun),
    publish: () => void this._do(this._commands.publish),
    openRuns: () => this._commands.openRuns(this.model.name),
    refresh: () => void this.model.refresh()
  };

  render(): JSX.Element {
    const m = this.model;
    return (
      <WorkflowView
        name={m.name}
        version={m.version}
        info={m.info}
        versions={m.versions}
        layout={m.layout}
        document={m.document}
        selected={m.selected}
        busy={this._busy}
        error={m.error}
        actions={this._actions}
      />
    );
  }

  private _busy = false;
}
