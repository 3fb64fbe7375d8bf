/**
 * Small forms shown in JupyterLab dialogs: a date, a date range, a message, a name.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { Widget } from '@lumino/widgets';

import { today } from './format';

interface IField {
  name: string;
  label: string;
  type: string;
  value: string;
  /** a line under the field: what an empty value means, say */
  help?: string;
}

class FieldsBody extends Widget implements Dialog.IBodyWidget<Record<string, string>> {
  constructor(fields: IField[]) {
    super();
    this.addClass('jp-batch-form');
    for (const field of fields) {
      const label = document.createElement('label');
      label.textContent = field.label;
      const input = document.createElement('input');
      input.type = field.type;
      input.name = field.name;
      input.value = field.value;
      input.className = 'jp-mod-styled';
      label.appendChild(input);
      if (field.help) {
        const help = document.createElement('span');
        help.className = 'jp-batch-form-help';
        help.textContent = field.help;
        label.appendChild(help);
      }
      this.node.appendChild(label);
      this._inputs.push(input);
    }
  }

  getValue(): Record<string, string> {
    return Object.fromEntries(this._inputs.map(i => [i.name, i.value.trim()]));
  }

  private _inputs: HTMLInputElement[] = [];
}

async function ask(
  title: string,
  accept: string,
  fields: IField[]
): Promise<Record<string, string> | null> {
  const result = await showDialog({
    title,
    body: new FieldsBody(fields),
    buttons: [Dialog.cancelButton(), Dialog.okButton({ label: accept })],
    focusNodeSelector: 'input'
  });
  return result.button.accept && result.value ? result.value : null;
}

/** The logical date of a run (null: cancelled). */
export async function askDate(workflow: string): Promise<string | null> {
  const value = await ask(`Run ${workflow}`, 'Run', [
    {
      name: 'date',
      label: 'Logical date',
      type: 'date',
      value: today(),
      help: "Empty: today, by the server's clock."
    }
  ]);
  return value ? value.date : null;
}

/** The first and last logical dates of a backfill (null: cancelled). */
export async function askRange(
  workflow: string
): Promise<{ start: string; end: string } | null> {
  const value = await ask(`Backfill ${workflow}`, 'Backfill', [
    { name: 'start', label: 'From', type: 'date', value: today() },
    { name: 'end', label: 'To (inclusive)', type: 'date', value: today() }
  ]);
  return value ? { start: value.start, end: value.end } : null;
}

/** A message for a new version (null: cancelled). */
export async function askMessage(title: string, accept: string): Promise<string | null> {
  const value = await ask(title, accept, [
    { name: 'message', label: 'Message', type: 'text', value: '' }
  ]);
  return value ? value.message : null;
}

/** A name, `proposed` filled in (null: cancelled). */
export async function askName(
  title: string,
  accept: string,
  proposed: string
): Promise<string | null> {
  const value = await ask(title, accept, [
    { name: 'name', label: 'Name', type: 'text', value: proposed }
  ]);
  return value ? value.name : null;
}

/**
 * Ask before doing something that cannot be undone or that starts work; `warn`: the
 * accept button says it ends something (red).
 */
export async function confirm(
  title: string,
  body: string,
  accept: string,
  warn = false
): Promise<boolean> {
  const button = warn ? Dialog.warnButton({ label: accept }) : Dialog.okButton({ label: accept });
  const result = await showDialog({
    title,
    body,
    buttons: [Dialog.cancelButton(), button]
  });
  return result.button.accept;
}
