import React, { useEffect, useId, useRef, useState } from 'react';

import type { BatchApiError } from '../api';
import { cronInWords, formatTime } from '../format';
import { besideField, exampleValues, problemsOf, requestOf } from '../params';
import type { FieldValue, IProblem, IUseForm } from '../params';
import type {
  ILibraryParam,
  ILibraryProgram,
  ILibraryProgramDetail,
  IUseProgram
} from '../types';
import { ActionButton, ErrorBanner } from './common';

export interface ILibraryActions {
  select: (name: string | null) => void;
  refresh: () => void;
  /** create the workflow the form describes */
  use: (program: string, request: IUseProgram) => void;
  /** the form changed: keep it for when it shows again */
  keepForm: (program: string, form: IUseForm) => void;
  /** copy the program's script into a user resource */
  copy: (program: string) => void;
  openVersion: (resource: string, version: number) => void;
}

export interface ILibraryViewProps {
  programs: readonly ILibraryProgram[];
  loaded: boolean;
  selected: string | null;
  detail: ILibraryProgramDetail | null;
  /** a program's form as the user left it */
  formOf: (program: ILibraryProgram) => IUseForm;
  error: BatchApiError | null;
  useError: BatchApiError | null;
  using: boolean;
  actions: ILibraryActions;
}

/**
 * A labelled form field (`inline`: a checkbox before its label), inputs that belong to
 * it (`more`), its help, and the server's problems about it.
 */
function Field(props: {
  field: string;
  label: React.ReactNode;
  help?: React.ReactNode;
  more?: React.ReactNode;
  problems: string[];
  inline?: boolean;
  children: (id: string, invalid: boolean) => React.ReactNode;
}): JSX.Element {
  const id = useId();
  const invalid = props.problems.length > 0;
  const label = (
    <label htmlFor={id} className="jp-batch-field-label">
      {props.label}
    </label>
  );
  return (
    <div className={`jp-batch-field${invalid ? ' jp-mod-invalid' : ''}`} data-field={props.field}>
      {props.inline ? (
        <div className="jp-batch-field-inline">
          {props.children(id, invalid)}
          {label}
        </div>
      ) : (
        <>
          {label}
          {props.children(id, invalid)}
        </>
      )}
      {props.more}
      {props.help && <div className="jp-batch-field-help">{props.help}</div>}
      {props.problems.map((message, i) => (
        <div key={i} className="jp-batch-field-problem" role="alert">
          {message}
        </div>
      ))}
    </div>
  );
}

/** The input a parameter's type calls for: a checkbox, a choice, a number or text. */
function ParamInput(props: {
  id: string;
  invalid: boolean;
  param: ILibraryParam;
  value: FieldValue;
  onChange: (value: FieldValue) => void;
}): JSX.Element {
  const { id, param, value, onChange } = props;
  const common = {
    id,
    name: param.name,
    'aria-invalid': props.invalid,
    'aria-required': param.required
  };
  if (param.type === 'boolean') {
    return (
      <input
        {...common}
        type="checkbox"
        checked={value === true}
        onChange={event => onChange(event.target.checked)}
      />
    );
  }
  const text = typeof value === 'string' ? value : '';
  if (param.choices?.length) {
    const choices = param.choices.map(String);
    return (
      <select
        {...common}
        className="jp-batch-select jp-batch-input"
        value={text}
        onChange={event => onChange(event.target.value)}
      >
        {!choices.includes(text) && (
          <option value={text}>{text || (param.required ? 'choose…' : '(none)')}</option>
        )}
        {choices.map(choice => (
          <option key={choice} value={choice}>
            {choice}
          </option>
        ))}
      </select>
    );
  }
  const numeric = param.type === 'integer' || param.type === 'number';
  return (
    <input
      {...common}
      className="jp-batch-input"
      type={numeric ? 'number' : 'text'}
      step={param.type === 'integer' ? 1 : numeric ? 'any' : undefined}
      placeholder={param.type === 'list' ? 'a, b, c' : undefined}
      spellCheck={false}
      value={text}
      onChange={event => onChange(event.target.value)}
    />
  );
}

function ParamField(props: {
  param: ILibraryParam;
  value: FieldValue;
  problems: readonly IProblem[];
  onChange: (value: FieldValue) => void;
}): JSX.Element {
  const { param } = props;
  const label = (
    <>
      <span className="jp-batch-field-name">{param.name}</span>
      {param.required && (
        <span className="jp-batch-required" title="required">
          *
        </span>
      )}
      <span className="jp-batch-muted">
        {param.type === 'list' ? 'list, comma-separated' : param.type}
      </span>
    </>
  );
  return (
    <Field
      field={`params.${param.name}`}
      label={label}
      help={param.help}
      problems={problemsOf(props.problems, `params.${param.name}`).map(message =>
        besideField(message, param.help)
      )}
      inline={param.type === 'boolean'}
    >
      {(id, invalid) => (
        <ParamInput
          id={id}
          invalid={invalid}
          param={param}
          value={props.value}
          onChange={props.onChange}
        />
      )}
    </Field>
  );
}

/** A cron schedule in the user's words and time zone, or none (manual runs only). */
function ScheduleField(props: {
  cron: string | null;
  timezone: string;
  problems: readonly IProblem[];
  onChange: (cron: string | null, timezone: string) => void;
}): JSX.Element {
  const { cron, timezone, onChange } = props;
  const words = cron === null ? null : cronInWords(cron);
  return (
    <Field
      field="schedule"
      label="Run on a schedule (cron)"
      inline
      problems={problemsOf(props.problems, 'schedule')}
      more={
        cron !== null && (
          <div className="jp-batch-schedule">
            <input
              className="jp-batch-input"
              name="cron"
              aria-label="cron"
              spellCheck={false}
              value={cron}
              onChange={event => onChange(event.target.value, timezone)}
            />
            <input
              className="jp-batch-input"
              name="timezone"
              aria-label="time zone"
              spellCheck={false}
              value={timezone}
              onChange={event => onChange(cron, event.target.value)}
            />
            <span className="jp-batch-muted">{words ?? 'minute hour day month weekday'}</span>
          </div>
        )
      }
    >
      {id => (
        <input
          id={id}
          type="checkbox"
          name="scheduled"
          checked={cron !== null}
          onChange={event => onChange(event.target.checked ? '0 2 * * *' : null, timezone)}
        />
      )}
    </Field>
  );
}

/**
 * The form that turns a program into a workflow: its parameters, generated from the
 * schema and filled with the defaults; the workflow's name; a schedule; publish.
 *
 * What it holds is its own state (typing must not wait for the panel's next render)
 * and is handed to `onKeep` as it changes, to start from when it shows again.
 */
function UseForm(props: {
  program: ILibraryProgram;
  initial: IUseForm;
  error: BatchApiError | null;
  using: boolean;
  onKeep: (form: IUseForm) => void;
  onUse: (request: IUseProgram) => void;
}): JSX.Element {
  const { program, onKeep } = props;
  const [state, setState] = useState(props.initial);
  const { values, workflow, cron, timezone, publish } = state;
  const change = (patch: Partial<IUseForm>): void => {
    const next = { ...state, ...patch };
    setState(next);
    onKeep(next);
  };
  const form = useRef<HTMLFormElement>(null);
  const problems = props.error?.problems ?? [];
  // the problems shown beside a field; the server says `name` for the workflow's name
  const fields = [
    'workflow',
    'name',
    'schedule',
    'publish',
    ...program.params.map(p => `params.${p.name}`)
  ];

  useEffect(() => {
    // refused: take the user to the first field the server found wrong
    const field = form.current?.querySelector('.jp-batch-field.jp-mod-invalid');
    const input =
      field?.querySelector<HTMLElement>('.jp-batch-input') ?? field?.querySelector('input');
    input?.focus();
  }, [props.error]);

  const submit = (): void => props.onUse(requestOf(program, state));

  return (
    <form ref={form} className="jp-batch-use" onSubmit={event => event.preventDefault()}>
      <div className="jp-batch-subtitle">
        Parameters
        <span className="jp-batch-spacer" />
        <ActionButton
          label="Fill example"
          title="Fill the fields with the program's example"
          disabled={!program.params.length}
          onClick={() => change({ values: exampleValues(program.params, program.example) })}
        />
      </div>
      {!program.params.length && (
        <div className="jp-batch-muted">This program takes no parameters.</div>
      )}
      {program.params.map(param => (
        <ParamField
          key={param.name}
          param={param}
          value={values[param.name]}
          problems={problems}
          onChange={value => change({ values: { ...values, [param.name]: value } })}
        />
      ))}
      <div className="jp-batch-subtitle">Workflow</div>
      <Field field="workflow" label="Name" problems={problemsOf(problems, 'workflow', 'name')}>
        {(id, invalid) => (
          <input
            id={id}
            name="workflow"
            className="jp-batch-input"
            aria-invalid={invalid}
            spellCheck={false}
            value={workflow}
            onChange={event => change({ workflow: event.target.value })}
          />
        )}
      </Field>
      <ScheduleField
        cron={cron}
        timezone={timezone}
        problems={problems}
        onChange={(c, tz) => change({ cron: c, timezone: tz })}
      />
      <Field
        field="publish"
        label="Publish it (version 1)"
        inline
        problems={problemsOf(problems, 'publish')}
      >
        {id => (
          <input
            id={id}
            type="checkbox"
            name="publish"
            checked={publish}
            onChange={event => change({ publish: event.target.checked })}
          />
        )}
      </Field>
      <ErrorBanner error={props.error} fields={fields} />
      <div className="jp-batch-toolbar">
        <span className="jp-batch-spacer" />
        <ActionButton
          submit
          accent
          label={props.using ? 'Creating…' : 'Use program'}
          title={`Create the workflow: one task that runs ${program.resource}`}
          disabled={props.using || !workflow.trim()}
          onClick={submit}
        />
      </div>
    </form>
  );
}

function ProgramDetail(props: {
  program: ILibraryProgram;
  detail: ILibraryProgramDetail | null;
  form: IUseForm;
  useError: BatchApiError | null;
  using: boolean;
  actions: ILibraryActions;
}): JSX.Element {
  const { program, detail, actions } = props;
  const versions = [...(detail?.versions ?? [])].sort((a, b) => b.version - a.version);
  return (
    <div className="jp-batch-program" data-program={program.name}>
      <div className="jp-batch-section-title">
        {program.title}
        <span className="jp-batch-spacer" />
        <ActionButton label="×" title="Close" onClick={() => actions.select(null)} />
      </div>
      <div className="jp-batch-program-body">
        <div className="jp-batch-program-description">{program.description}</div>
        <div className="jp-batch-toolbar jp-batch-program-versions">
          <span className="jp-batch-muted">{program.resource}</span>
          {versions.map(v => (
            <button
              key={v.version}
              type="button"
              className="jp-batch-link"
              data-version={v.version}
              title={`Open version ${v.version} (${formatTime(v.created_at)}) read-only`}
              onClick={() => actions.openVersion(program.resource, v.version)}
            >
              v{v.version}
            </button>
          ))}
          <span className="jp-batch-spacer" />
          <ActionButton
            label="Copy to my resources…"
            title="Copy the script into a resource of your own, to change it"
            onClick={() => actions.copy(program.name)}
          />
        </div>
        <UseForm
          key={program.name}
          program={program}
          initial={props.form}
          error={props.useError}
          using={props.using}
          onKeep={form => actions.keepForm(program.name, form)}
          onUse={request => actions.use(program.name, request)}
        />
      </div>
    </div>
  );
}

/** The library's built-in programs; the one selected, turned into a workflow. */
export function LibraryView(props: ILibraryViewProps): JSX.Element {
  const { programs, selected, actions } = props;
  const program = programs.find(p => p.name === selected) ?? null;
  return (
    <div className="jp-batch-view jp-batch-library">
      <div className="jp-batch-toolbar">
        <span className="jp-batch-muted">{programs.length} programs</span>
        <span className="jp-batch-spacer" />
        <ActionButton label="Refresh" onClick={actions.refresh} />
      </div>
      <ErrorBanner error={props.error} onRetry={actions.refresh} />
      {props.loaded && programs.length === 0 && (
        <div className="jp-batch-empty">The library has no programs.</div>
      )}
      <ul className={`jp-batch-programs${program ? ' jp-mod-half' : ''}`}>
        {programs.map(p => (
          <li key={p.name}>
            <button
              type="button"
              className={`jp-batch-program-row${p.name === selected ? ' jp-mod-selected' : ''}`}
              data-program={p.name}
              aria-pressed={p.name === selected}
              title={`${p.title} (${p.name}, version ${p.version})\n${p.description}`}
              onClick={() => actions.select(p.name === selected ? null : p.name)}
            >
              <span className="jp-batch-run-line">
                <span className="jp-batch-program-title" title={p.title}>
                  {p.title}
                </span>
                <span className="jp-batch-muted">v{p.version}</span>
              </span>
              <span
                className="jp-batch-muted jp-batch-program-line"
                title={`${p.name} · ${p.description}`}
              >
                {p.name} · {p.description}
              </span>
            </button>
          </li>
        ))}
      </ul>
      {program && (
        <ProgramDetail
          program={program}
          detail={props.detail}
          form={props.formOf(program)}
          useError={props.useError}
          using={props.using}
          actions={actions}
        />
      )}
    </div>
  );
}
