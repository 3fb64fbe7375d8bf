/**
 * A run in a main-area tab: the DAG, the attempts, the selected task's log and actions.
 */
import { Notification, ReactWidget } from '@jupyterlab/apputils';
import type { CommandRegistry } from '@lumino/commands';
import type { Message } from '@lumino/messaging';
import React from 'react';

import type { BatchApi } from './api';
import { CommandIDs } from './commands';
import { RunDetailView } from './components/run-detail';
import type { IRunDetailActions } from './components/run-detail';
import { confirm } from './dialogs';
import type { BatchEvents } from './events';
import { RunDetailModel } from './models/run-detail';
import { reportError } from './report';
import { Ticker } from './ticker';

export class RunDetailWidget extends ReactWidget {
  readonly model: RunDetailModel;

  constructor(
    private readonly _api: BatchApi,
    events: BatchEvents,
    private readonly _commands: CommandRegistry,
    runId: number
  ) {
    super();
    this.addClass('jp-batch-run-widget');
    this.model = new RunDetailModel(_api, events, runId);
    this.model.changed.connect(() => {
      this.update();
      this._syncClock();
    }, this);
    void this.model.refresh();
  }

  get runId(): number {
    return this.model.runId;
  }

  dispose(): void {
    this._clock.dispose();
    this.model.dispose();
    super.dispose();
  }

  /** Whether the elapsed times shown move on their own (a second at a time). */
  get ticking(): boolean {
    return this._clock.running;
  }

  protected onAfterAttach(msg: Message): void {
    super.onAfterAttach(msg);
    this._syncClock();
  }

  protected onAfterShow(msg: Message): void {
    super.onAfterShow(msg);
    this._syncClock();
  }

  protected onBeforeHide(msg: Message): void {
    this._clock.set(false);
    super.onBeforeHide(msg);
  }

  protected onBeforeDetach(msg: Message): void {
    this._clock.set(false);
    super.onBeforeDetach(msg);
  }

  /**
   * Tick while the run runs and the tab is in view: the header's elapsed time and the
   * running bars move though no event comes (a task printing nothing sends none).
   */
  private _syncClock(): void {
    const run = this.model.run;
    this._clock.set(!this.isDisposed && this.isVisible && run?.state === 'running');
  }

  private async _rerun(task: string, downstream: boolean): Promise<void> {
    const runId = this.runId;
    const what = downstream ? `Rerun ${task} with downstream` : `Rerun ${task}`;
    try {
      const preview = await this._api.rerun(runId, task, downstream, true);
      const tasks = preview.tasks.length ? preview.tasks.join(', ') : 'nothing';
      const sure = await confirm(
        `${what}?`,
        `Run #${runId} will run again: ${tasks}. It is a new attempt in the same run; the history is kept.`,
        'Rerun'
      );
      if (!sure) {
        return;
      }
      const plan = await this._api.rerun(runId, task, downstream);
      Notification.info(
        plan.started ? `Rerunning ${plan.tasks.join(', ')}` : 'Nothing to rerun',
        { autoClose: 4000 }
      );
    } catch (error) {
      reportError(what, error);
    }
  }

  private async _recover(): Promise<void> {
    const runId = this.runId;
    try {
      const preview = await this._api.recover(runId, true);
      if (!preview.tasks.length) {
        Notification.info(`Run #${runId} has nothing to recover`, { autoClose: 4000 });
        return;
      }
      const sure = await confirm(
        'Recover the run?',
        `These tasks run again: ${preview.tasks.join(', ')}.`,
        'Recover'
      );
      if (sure) {
        await this._api.recover(runId);
      }
    } catch (error) {
      reportError(`Recover run #${runId}`, error);
    }
  }

  private async _stop(): Promise<void> {
    const run = this.model.run;
    const what = run ? `run #${run.id} of ${run.workflow} (${run.logical_date})` : `run #${this.runId}`;
    const sure = await confirm(
      `Stop run #${this.runId}?`,
      `Stop ${what}: its running tasks are ended (SIGTERM, then SIGKILL) and the tasks not started are cancelled. Recover or rerun it later to finish it.`,
      'Stop run',
      true
    );
    if (!sure) {
      return;
    }
    try {
      await this._api.stopRun(this.runId);
      Notification.info(`Stopping run #${this.runId}`, { autoClose: 3000 });
    } catch (error) {
      reportError(`Stop run #${this.runId}`, error);
    }
  }

  private _actions: IRunDetailActions = {
    select: task => this.model.select(task),
    selectAttempt: attempt => this.model.selectAttempt(attempt),
    refreshLog: () => this.model.followLog(),
    rerun: (task, downstream) => void this._rerun(task, downstream),
    stop: () => void this._stop(),
    recover: () => void this._recover(),
    openOutput: task =>
      void this._commands.execute(CommandIDs.openOutput, { runId: this.runId, task }),
    refresh: () => void this.model.refresh()
  };

  render(): JSX.Element {
    const m = this.model;
    return (
      <RunDetailView
        run={m.run}
        layout={m.layout}
        states={m.taskStates()}
        attempts={m.attempts}
        selected={m.selected}
        log={m.log}
        error={m.error}
        now={Date.now()}
        actions={this._actions}
      />
    );
  }

  private _clock = new Ticker(() => this.update());
}
