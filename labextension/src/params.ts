/**
 * Pure helpers of the form generated from a library program's parameter schema: what a
 * field shows for a value, what the server is sent for what the form holds, and which
 * of the server's problems belong beside which field.
 */
import type { ILibraryParam, ILibraryProgram, IUseProgram } from './types';

/** What a field holds: a checkbox's state, or the text of any other input. */
export type FieldValue = string | boolean;

export type FieldValues = Record<string, FieldValue>;

export interface IProblem {
  where: string;
  message: string;
}

/** What a field shows for a schema value (a list as "a, b, c"). */
function fieldValue(param: ILibraryParam, value: unknown): FieldValue {
  if (param.type === 'boolean') {
    return value === true;
  }
  if (value === null || value === undefined) {
    return '';
  }
  return Array.isArray(value) ? value.map(String).join(', ') : String(value);
}

/** The fields filled with the schema's defaults. */
function defaultValues(params: readonly ILibraryParam[]): FieldValues {
  return Object.fromEntries(params.map(p => [p.name, fieldValue(p, p.default)]));
}

/** The fields filled with the program's example (defaults where it names nothing). */
export function exampleValues(
  params: readonly ILibraryParam[],
  example: Record<string, unknown>
): FieldValues {
  return Object.fromEntries(
    params.map(p => [p.name, fieldValue(p, p.name in example ? example[p.name] : p.default)])
  );
}

/**
 * A field's text as the schema's type. Text that is not of the type is sent as it is,
 * so the server's check names the problem beside the field.
 */
function typed(param: ILibraryParam, text: string): unknown {
  switch (param.type) {
    case 'integer':
      return /^[-+]?\d+$/.test(text) ? Number(text) : text;
    case 'number':
      return Number.isFinite(Number(text)) ? Number(text) : text;
    case 'list':
      return text
        .split(',')
        .map(item => item.trim())
        .filter(Boolean);
    default:
      return text;
  }
}

/**
 * The parameters to send. An empty field is left out: the server applies the default,
 * or says that a required parameter is missing.
 */
function paramsOf(
  params: readonly ILibraryParam[],
  values: FieldValues
): Record<string, unknown> {
  const result: Record<string, unknown> = {};
  for (const param of params) {
    const value = values[param.name];
    if (typeof value === 'boolean') {
      result[param.name] = value;
    } else if (value !== undefined && value.trim() !== '') {
      result[param.name] = typed(param, value.trim());
    }
  }
  return result;
}

/** What the form that turns a program into a workflow holds. */
export interface IUseForm {
  values: FieldValues;
  workflow: string;
  /** null: no schedule (manual runs only) */
  cron: string | null;
  timezone: string;
  publish: boolean;
}

/** A new form: the defaults, the program's name for the workflow, no schedule. */
export function newUseForm(program: ILibraryProgram, timezone: string): IUseForm {
  return {
    values: defaultValues(program.params),
    workflow: program.name,
    cron: null,
    timezone,
    publish: false
  };
}

/** What "Use program" sends for what the form holds. */
export function requestOf(program: ILibraryProgram, form: IUseForm): IUseProgram {
  return {
    workflow: form.workflow.trim(),
    params: paramsOf(program.params, form.values),
    ...(form.cron === null
      ? {}
      : { schedule: { cron: form.cron.trim(), timezone: form.timezone.trim() } }),
    publish: form.publish
  };
}

/** Whether a problem's `where` (e.g. `params.columns[1]`) is about the field `key`. */
export function isAbout(where: string, key: string): boolean {
  return where === key || where.startsWith(`${key}.`) || where.startsWith(`${key}[`);
}

/** The messages of the problems about a field (known by one of `keys`). */
export function problemsOf(problems: readonly IProblem[], ...keys: string[]): string[] {
  return problems.filter(p => keys.some(key => isAbout(p.where, key))).map(p => p.message);
}

/**
 * A parameter's problem as shown beside its field: the server ends some ("is required:
 * <help>") with the help text, which the field already shows right above.
 */
export function besideField(message: string, help: string): string {
  const repeated = `: ${help}`;
  return help && message.endsWith(repeated) ? message.slice(0, -repeated.length) : message;
}
