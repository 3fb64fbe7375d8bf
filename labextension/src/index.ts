/**
 * jupyter-batch's JupyterLab extension: the "Batch" side panel, run tabs, read-only
 * resource versions and diffs, output notebooks, and "Add to Batch as resource" in the
 * file browser's context menu.
 */
import { ILayoutRestorer } from '@jupyterlab/application';
import type { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import {
  ICommandPalette,
  MainAreaWidget,
  Notification,
  ReactWidget,
  WidgetTracker
} from '@jupyterlab/apputils';
import { PathExt } from '@jupyterlab/coreutils';
import { CodeEditor, CodeEditorWrapper, IEditorServices } from '@jupyterlab/codeeditor';
import { IDocumentManager } from '@jupyterlab/docmanager';
import type { IDocumentWidget } from '@jupyterlab/docregistry';
import { IDefaultFileBrowser } from '@jupyterlab/filebrowser';
import type { Contents } from '@jupyterlab/services';
import type { ReadonlyPartialJSONObject } from '@lumino/coreutils';
import { Widget } from '@lumino/widgets';
import React from 'react';

import { BatchApi } from './api';
import { CommandIDs, RESOURCE_EXTENSIONS } from './commands';
import { DiffView } from './components/diff';
import { askMessage } from './dialogs';
import { BatchEvents } from './events';
import { batchIcon } from './icon';
import { outputNotebookPath, readOnlyNotebook } from './output';
import { BatchPanel } from './panel';
import { reportError } from './report';
import { RunDetailWidget } from './run-widget';
import { WorkflowWidget } from './workflow-widget';

const isResourceFile = (path: string): boolean =>
  RESOURCE_EXTENSIONS.includes(PathExt.extname(path).toLowerCase());

const numberArg = (args: ReadonlyPartialJSONObject, key: string): number =>
  Number(args[key] ?? NaN);

function isDocumentWidget(widget: Widget | null): widget is IDocumentWidget {
  return !!widget && 'context' in widget && 'content' in widget;
}

/** A file's bytes as text, read through the contents API (a notebook as its JSON). */
async function readText(contents: Contents.IManager, path: string): Promise<string> {
  const model = await contents.get(path, { type: 'file', format: 'text', content: true });
  return String(model.content ?? '');
}

/**
 * Create each missing folder of `path` in the workspace. Saving a folder that exists
 * changes nothing, so none is asked for first: a GET of a missing one would log a 404
 * in the browser's console.
 */
async function ensureFolders(contents: Contents.IManager, path: string): Promise<void> {
  const parts = PathExt.dirname(path).split('/').filter(Boolean);
  let current = '';
  for (const part of parts) {
    current = current ? `${current}/${part}` : part;
    await contents.save(current, { type: 'directory' });
  }
}

const plugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyter-batch:plugin',
  description: 'Watch and operate jupyter-batch workflows from JupyterLab.',
  autoStart: true,
  optional: [
    ILayoutRestorer,
    ICommandPalette,
    IEditorServices,
    IDocumentManager,
    IDefaultFileBrowser
  ],
  activate: (
    app: JupyterFrontEnd,
    restorer: ILayoutRestorer | null,
    palette: ICommandPalette | null,
    editorServices: IEditorServices | null,
    docManager: IDocumentManager | null,
    fileBrowser: IDefaultFileBrowser | null
  ): void => {
    const { commands, shell, serviceManager } = app;
    const contents = serviceManager.contents;
    const api = new BatchApi(serviceManager.serverSettings);
    const events = new BatchEvents(serviceManager.events);

    // --- the side panel ----------------------------------------------------------------
    const panel = new BatchPanel(api, events, commands);
    panel.title.icon = batchIcon;
    panel.title.caption = 'Batch workflows';
    shell.add(panel, 'left', { rank: 600 });
    restorer?.add(panel, 'jupyter-batch-panel');

    commands.addCommand(CommandIDs.openPanel, {
      label: 'Batch: Open the Side Panel',
      execute: () => shell.activateById(panel.id)
    });

    /** Show `content` in a new main-area tab, tracked (restored on reload) by `tracker`. */
    function openTab<T extends Widget>(
      tracker: WidgetTracker<MainAreaWidget<T>>,
      content: T,
      id: string,
      label: string
    ): MainAreaWidget<T> {
      const widget = new MainAreaWidget({ content });
      widget.id = id;
      widget.title.label = label;
      widget.title.icon = batchIcon;
      widget.title.closable = true;
      void tracker.add(widget);
      shell.add(widget, 'main');
      shell.activateById(widget.id);
      return widget;
    }

    // --- runs in main-area tabs ----------------------------------------------------------
    const runs = new WidgetTracker<MainAreaWidget<RunDetailWidget>>({
      namespace: 'jupyter-batch-run'
    });
    commands.addCommand(CommandIDs.openRun, {
      label: args => (args.runId ? `Batch: Open Run #${args.runId}` : 'Batch: Open Run'),
      execute: args => {
        const runId = numberArg(args, 'runId');
        if (!Number.isInteger(runId)) {
          return;
        }
        const open = runs.find(w => w.content.runId === runId);
        if (open) {
          shell.activateById(open.id);
          return;
        }
        const content = new RunDetailWidget(api, events, commands, runId);
        const widget = openTab(runs, content, `jupyter-batch-run-${runId}`, `Run #${runId}`);
        content.model.changed.connect(() => {
          const run = content.model.run;
          if (run) {
            widget.title.label = `Run #${runId} · ${run.workflow}`;
            widget.title.caption = `${run.workflow} ${run.logical_date}: ${run.state}`;
          }
        });
      }
    });
    if (restorer) {
      void restorer.restore(runs, {
        command: CommandIDs.openRun,
        args: widget => ({ runId: widget.content.runId }),
        name: widget => String(widget.content.runId)
      });
    }

    // --- a workflow as defined (the draft or a version), no run needed --------------------
    const workflows = new WidgetTracker<MainAreaWidget<WorkflowWidget>>({
      namespace: 'jupyter-batch-workflow'
    });
    commands.addCommand(CommandIDs.openWorkflow, {
      label: args => (args.name ? `Batch: Open Workflow ${args.name}` : 'Batch: Open Workflow'),
      execute: args => {
        const name = String(args.name ?? '');
        if (!name) {
          return;
        }
        const version =
          args.version === undefined || args.version === null ? null : numberArg(args, 'version');
        const open = workflows.find(w => w.content.workflow === name);
        if (open) {
          if (version !== open.content.model.version) {
            void open.content.model.setVersion(version);
          }
          shell.activateById(open.id);
          return;
        }
        const content = new WorkflowWidget(
          api,
          panel.workflows,
          panel.workflowCommands,
          name,
          version
        );
        const widget = openTab(workflows, content, `jupyter-batch-workflow-${name}`, name);
        widget.title.caption = `The workflow ${name}: its DAG and tasks`;
      }
    });
    if (restorer) {
      void restorer.restore(workflows, {
        command: CommandIDs.openWorkflow,
        args: widget => ({ name: widget.content.workflow }),
        name: widget => widget.content.workflow
      });
    }

    // --- resource versions, read-only, and diffs -----------------------------------------
    commands.addCommand(CommandIDs.openVersion, {
      label: 'Batch: Open Resource Version',
      execute: async args => {
        const name = String(args.name ?? '');
        const version = numberArg(args, 'version');
        try {
          const text = await api.resourceContent(name, version);
          let content: Widget;
          if (editorServices) {
            const model = new CodeEditor.Model({
              mimeType: editorServices.mimeTypeService.getMimeTypeByFilePath(name)
            });
            model.sharedModel.setSource(text);
            content = new CodeEditorWrapper({
              factory: editorServices.factoryService.newDocumentEditor,
              model,
              editorOptions: { config: { readOnly: true, lineNumbers: true } }
            });
            content.disposed.connect(() => model.dispose());
          } else {
            content = new Widget({ node: document.createElement('pre') });
            content.node.textContent = text;
          }
          content.addClass('jp-batch-version-editor');
          const widget = new MainAreaWidget({ content });
          widget.id = `jupyter-batch-version-${name}-${version}-${Date.now()}`;
          widget.title.label = `${name}@${version} (read-only)`;
          widget.title.icon = batchIcon;
          widget.title.closable = true;
          shell.add(widget, 'main');
          shell.activateById(widget.id);
        } catch (error) {
          reportError(`Open ${name}@${version}`, error);
        }
      }
    });

    commands.addCommand(CommandIDs.diffVersions, {
      label: 'Batch: Diff Resource Versions',
      execute: async args => {
        const name = String(args.name ?? '');
        const from = numberArg(args, 'from');
        const to = numberArg(args, 'to');
        try {
          const diff = await api.diffResource(name, from, to);
          const title = `${name}: v${from} → v${to}`;
          const content = ReactWidget.create(React.createElement(DiffView, { diff, title }));
          content.addClass('jp-batch-diff-widget');
          const widget = new MainAreaWidget({ content });
          widget.id = `jupyter-batch-diff-${name}-${from}-${to}-${Date.now()}`;
          widget.title.label = `${name} v${from}→v${to}`;
          widget.title.icon = batchIcon;
          widget.title.closable = true;
          shell.add(widget, 'main');
          shell.activateById(widget.id);
        } catch (error) {
          reportError(`Diff ${name} v${from} → v${to}`, error);
        }
      }
    });

    // --- a notebook task's executed notebook --------------------------------------------
    commands.addCommand(CommandIDs.openOutput, {
      label: 'Batch: Open Output Notebook',
      execute: async args => {
        const runId = numberArg(args, 'runId');
        const task = String(args.task ?? '');
        try {
          const output = await api.output(runId, task);
          const path = outputNotebookPath(runId, task, output.attempt);
          await ensureFolders(contents, path);
          await contents.save(path, {
            type: 'notebook',
            format: 'json',
            content: readOnlyNotebook(output.text)
          });
          // a record to read, not to run: no kernel starts (its "No Kernel" choice), so
          // none writes its language info into the notebook and marks it changed
          const noKernel = { shouldStart: false, autoStartDefault: false };
          if (docManager) {
            docManager.openOrReveal(path, 'default', undefined, {}, noKernel);
          } else {
            await commands.execute('docmanager:open', { path, kernelPreference: noKernel });
          }
        } catch (error) {
          reportError(`Open the output of ${task}`, error);
        }
      }
    });

    // --- files as resources --------------------------------------------------------------
    const selectedFiles = (): string[] => {
      const browser = fileBrowser;
      if (!browser) {
        return [];
      }
      return Array.from(browser.selectedItems())
        .filter(item => item.type !== 'directory' && isResourceFile(item.path))
        .map(item => item.path);
    };

    commands.addCommand(CommandIDs.addResource, {
      label: 'Add to Batch as resource',
      caption: 'Add the file as a new version of the resource with its name',
      icon: batchIcon,
      isVisible: () => selectedFiles().length > 0,
      execute: async args => {
        const paths = typeof args.path === 'string' ? [args.path] : selectedFiles();
        for (const path of paths) {
          const name = PathExt.basename(path);
          try {
            const text = await readText(contents, path);
            const added = await panel.resources.add(name, text, `added from ${path}`);
            Notification.success(
              added.created
                ? `Added ${name} as version ${added.version.version}`
                : `${name} is unchanged: version ${added.version.version} holds it already`,
              { autoClose: 5000 }
            );
          } catch (error) {
            reportError(`Add ${path} as a resource`, error);
          }
        }
      }
    });
    app.contextMenu.addItem({
      command: CommandIDs.addResource,
      selector: '.jp-DirListing-item[data-isdir="false"]',
      rank: 60
    });

    commands.addCommand(CommandIDs.uploadCurrent, {
      label: 'Batch: Upload the Current File as a New Resource Version',
      execute: async args => {
        const current = shell.currentWidget;
        const widget = isDocumentWidget(current) ? current : null;
        const path = widget?.context.path;
        const name = typeof args.name === 'string' ? args.name : path && PathExt.basename(path);
        if (!widget || !path || !name) {
          Notification.warning('Open the file to upload in the main area first.', {
            autoClose: 5000
          });
          return;
        }
        const message = await askMessage(`Upload ${path} as a new version of ${name}`, 'Upload');
        if (message === null) {
          return;
        }
        try {
          if (widget.context.model.dirty) {
            await widget.context.save();
          }
          const text = await readText(contents, path);
          const added = await panel.resources.add(name, text, message || `uploaded from ${path}`);
          Notification.success(
            added.created
              ? `Uploaded ${path} as ${name} version ${added.version.version}`
              : `${name} is unchanged: version ${added.version.version} holds it already`,
            { autoClose: 5000 }
          );
        } catch (error) {
          reportError(`Upload ${path}`, error);
        }
      }
    });

    if (palette) {
      for (const command of [CommandIDs.openPanel, CommandIDs.uploadCurrent]) {
        palette.addItem({ command, category: 'Batch' });
      }
    }
  }
};

export default plugin;
