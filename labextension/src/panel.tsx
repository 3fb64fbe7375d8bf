/**
 * The side panel: Workflows, Runs, Resources and Library tabs, wired to their view models.
 * The views only render what they are given and call back; this widget turns the
 * callbacks into model calls, dialogs and commands.
 */
import { Notification, ReactWidget } from '@jupyterlab/apputils';
import type { CommandRegistry } from '@lumino/commands';
import type { Message } from '@lumino/messaging';
import React from 'react';

import { BatchApiError } from './api';
import type { BatchApi } from './api';
import { CommandIDs } from './commands';
import { LibraryView } from './components/library';
import type { ILibraryActions } from './components/library';
import { ResourcesView } from './components/resources';
import { RunsView } from './components/runs';
import { WorkflowsView } from './components/workflows';
import type { IWorkflowActions } from './components/workflows';
import { askDate, askMessage, askName, askRange, confirm } from './dialogs';
import type { BatchEvents } from './events';
import { LibraryModel } from './models/library';
import { ResourcesModel } from './models/resources';
import { RunsModel } from './models/runs';
import { WorkflowsModel } from './models/workflows';
import { reportError } from './report';
import { Ticker } from './ticker';
import type { IWorkflowCommands } from './workflow-widget';

export type PanelTab = 'workflows' | 'runs' | 'resources' | 'library';

const TABS: { id: PanelTab; label: string }[] = [
  { id: 'workflows', label: 'Workflows' },
  { id: 'runs', label: 'Runs' },
  { id: 'resources', label: 'Resources' },
  { id: 'library', label: 'Library' }
];

export class BatchPanel extends ReactWidget {
  readonly workflows: WorkflowsModel;
  readonly runs: RunsModel;
  readonly resources: ResourcesModel;
  readonly library: LibraryModel;

  constructor(
    private readonly _api: BatchApi,
    events: BatchEvents,
    private readonly _commands: CommandRegistry
  ) {
    super();
    this.id = 'jupyter-batch-panel';
    this.addClass('jp-batch-panel');
    this.workflows = new WorkflowsModel(_api, events);
    this.runs = new RunsModel(_api, events);
    this.resources = new ResourcesModel(_api);
    this.library = new LibraryModel(_api);
    for (const model of [this.workflows, this.runs, this.resources, this.library]) {
      model.changed.connect(() => {
        this.update();
        this._syncClock();
      }, this);
    }
  }

  get tab(): PanelTab {
    return this._tab;
  }

  /** Show a tab, loading it the first time. */
  showTab(tab: PanelTab): void {
    this._tab = tab;
    this.update();
    this._syncClock();
    if (!this._loaded.has(tab)) {
      this._loaded.add(tab);
      void this._refresh(tab);
    }
  }

  /** The Runs tab, filtered to one workflow. */
  showRunsOf(workflow: string): void {
    this._loaded.add('runs');
    this.showTab('runs');
    this.runs.setFilter({ workflow, state: '' });
  }

  dispose(): void {
    this._clock.dispose();
    this.workflows.dispose();
    this.runs.dispose();
    this.resources.dispose();
    this.library.dispose();
    super.dispose();
  }

  protected onAfterShow(): void {
    this.showTab(this._tab);
  }

  protected onBeforeHide(msg: Message): void {
    this._clock.set(false);
    super.onBeforeHide(msg);
  }

  /** Tick while the Runs tab is in view with a running run: its duration moves. */
  private _syncClock(): void {
    const running = this.runs.runs.some(run => run.state === 'running' && !run.ended_at);
    this._clock.set(!this.isDisposed && this.isVisible && this._tab === 'runs' && running);
  }

  private _refresh(tab: PanelTab): Promise<void> {
    switch (tab) {
      case 'workflows':
        return this.workflows.refresh();
      case 'runs':
        return Promise.all([this.runs.refresh(), this._ensureWorkflows()]).then(() => undefined);
      case 'resources':
        return this.resources.refresh();
      case 'library':
        return this.library.refresh();
    }
  }

  private async _ensureWorkflows(): Promise<void> {
    if (!this.workflows.loaded) {
      await this.workflows.refresh();
    }
  }

  /** Run an action for a workflow, its row disabled meanwhile; errors are shown. */
  private async _act(name: string, what: string, work: () => Promise<void>): Promise<void> {
    this._busy.add(name);
    this.update();
    try {
      await work();
    } catch (error) {
      reportError(`${what} ${name}`, error);
      if (BatchApiError.from(error).status === 404) {
        // deleted elsewhere (or renamed): the list shows what is there now
        void this.workflows.refresh();
      }
    } finally {
      this._busy.delete(name);
      this.update();
    }
  }

  private _openRun = (runId: number): void => {
    void this._commands.execute(CommandIDs.openRun, { runId });
  };

  /** Pre-run and Publish as the rows do them, for a workflow's own tab. */
  readonly workflowCommands: IWorkflowCommands = {
    prerun: name => this._prerun(name),
    publish: name => this._publish(name),
    openRuns: name => this.showRunsOf(name)
  };

  private _prerun(name: string): Promise<void> {
    return this._act(name, 'Pre-run', async () => {
      const runId = await this._api.prerun(name);
      Notification.info(`Pre-run of ${name} started: run #${runId}`, { autoClose: 4000 });
      this.workflows.ranNow(name);
      this._openRun(runId);
    });
  }

  private _publish(name: string): Promise<void> {
    return this._act(name, 'Publish', async () => {
      const message = await askMessage(`Publish ${name}`, 'Publish');
      if (message === null) {
        return;
      }
      const result = await this._api.publish(name, message);
      Notification.success(
        result.created
          ? `Published ${name} as version ${result.version}`
          : `${name} is already published as version ${result.version}`,
        { autoClose: 4000 }
      );
      await this.workflows.refresh();
    });
  }

  private _workflowActions: IWorkflowActions = {
    openRun: this._openRun,
    openWorkflow: name => void this._commands.execute(CommandIDs.openWorkflow, { name }),
    prerun: name => void this._prerun(name),
    runNow: name =>
      this._act(name, 'Run', async () => {
        const date = await askDate(name);
        if (date === null) {
          return;
        }
        const runId = await this._api.runNow(name, date || undefined);
        // an empty date is the server's today: name the date the run really has
        const day = await this._api
          .getRun(runId)
          .then(run => run.logical_date)
          .catch(() => date || 'today');
        Notification.info(`Run #${runId} of ${name} started for ${day}`, { autoClose: 4000 });
        this.workflows.ranNow(name);
        this._openRun(runId);
      }),
    backfill: name =>
      this._act(name, 'Backfill', async () => {
        const range = await askRange(name);
        if (range === null) {
          return;
        }
        const runIds = await this._api.backfill(name, range.start, range.end);
        Notification.info(
          `Backfill of ${name}: ${runIds.length} runs, ${range.start} to ${range.end}, run one after the other`,
          { autoClose: 5000 }
        );
        this.workflows.ranNow(name);
        this.showRunsOf(name);
      }),
    publish: name => void this._publish(name),
    offline: name =>
      this._act(name, 'Take offline', async () => {
        const sure = await confirm(
          `Take ${name} offline?`,
          'Its schedule stops; runs already started go on. Publish it again to resume.',
          'Take offline'
        );
        if (!sure) {
          return;
        }
        await this._api.offline(name);
        await this.workflows.refresh();
      })
  };

  private _libraryActions: ILibraryActions = {
    select: name => void this.library.select(name),
    refresh: () => void this.library.refresh(),
    keepForm: (program, form) => this.library.keepForm(program, form),
    openVersion: (name, version) =>
      void this._commands.execute(CommandIDs.openVersion, { name, version }),
    use: async (program, request) => {
      const workflow = await this.library.use(program, request);
      if (!workflow) {
        return; // the form shows why
      }
      const published =
        workflow.state === 'published' ? `, published as version ${workflow.latest_version}` : '';
      Notification.success(`Created ${workflow.name} from ${program}${published}`, {
        autoClose: 5000
      });
      this._loaded.add('workflows');
      await this.workflows.refresh();
      this.workflows.reveal(workflow.name);
      this.showTab('workflows');
    },
    copy: async program => {
      const name = await askName(`Copy ${program} to your resources`, 'Copy', `${program}.py`);
      if (name === null) {
        return;
      }
      try {
        await this._api.copyProgram(program, name);
        Notification.success(`Copied ${program} to the resource ${name}`, { autoClose: 5000 });
        this._loaded.add('resources');
        await this.resources.refresh();
        await this.resources.select(name);
        this.showTab('resources');
      } catch (error) {
        reportError(`Copy ${program}`, error);
      }
    }
  };

  private _onShowing = (names: string[]): void => this.workflows.showing(names);

  render(): JSX.Element {
    const tab = this._tab;
    return (
      <div className="jp-batch-panel-body">
        <div className="jp-batch-tabs" role="tablist">
          {TABS.map(t => (
            <button
              key={t.id}
              role="tab"
              aria-selected={t.id === tab}
              className={`jp-batch-tab${t.id === tab ? ' jp-mod-current' : ''}`}
              data-tab={t.id}
              onClick={() => this.showTab(t.id)}
            >
              {t.label}
            </button>
          ))}
        </div>
        {tab === 'workflows' && (
          <WorkflowsView
            workflows={this.workflows.workflows}
            total={this.workflows.total}
            loaded={this.workflows.loaded}
            lastRun={name => this.workflows.lastRun(name)}
            search={this.workflows.search}
            onSearch={text => this.workflows.setSearch(text)}
            revealed={this.workflows.revealed}
            onShowing={this._onShowing}
            busy={this._busy}
            scheduler={this.workflows.scheduler}
            actions={this._workflowActions}
            error={this.workflows.error}
            onRefresh={() => void this.workflows.refresh()}
            onOpenLibrary={() => this.showTab('library')}
          />
        )}
        {tab === 'runs' && (
          <RunsView
            runs={this.runs.runs}
            total={this.runs.total}
            offset={this.runs.offset}
            pageSize={this.runs.pageSize}
            loading={this.runs.loading}
            filter={this.runs.filter}
            workflowNames={this.workflows.names}
            error={this.runs.error}
            onFilter={filter => this.runs.setFilter(filter)}
            onPage={offset => this.runs.goTo(offset)}
            onOpen={this._openRun}
            onRefresh={() => void this.runs.refresh()}
          />
        )}
        {tab === 'resources' && (
          <ResourcesView
            resources={this.resources.resources}
            loaded={this.resources.loaded}
            selected={this.resources.selected}
            versions={this.resources.versions}
            error={this.resources.error}
            actions={{
              select: name => void this.resources.select(name),
              open: (name, version) =>
                void this._commands.execute(CommandIDs.openVersion, { name, version }),
              diff: (name, from, to) =>
                void this._commands.execute(CommandIDs.diffVersions, { name, from, to }),
              uploadCurrent: name =>
                void this._commands.execute(CommandIDs.uploadCurrent, { name }),
              refresh: () => void this.resources.refresh()
            }}
          />
        )}
        {tab === 'library' && (
          <LibraryView
            programs={this.library.programs}
            loaded={this.library.loaded}
            selected={this.library.selected}
            detail={this.library.detail}
            formOf={program => this.library.form(program)}
            error={this.library.error}
            useError={this.library.useError}
            using={this.library.using}
            actions={this._libraryActions}
          />
        )}
      </div>
    );
  }

  private _clock = new Ticker(() => this.update());
  private _tab: PanelTab = 'workflows';
  private _loaded = new Set<PanelTab>();
  private _busy = new Set<string>();
}
