/**
 * The one request path to the jupyter-batch REST API: a typed method per endpoint,
 * and one error type that carries the server's message.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';

import type {
  IAddedVersion,
  IAttempt,
  IErrorBody,
  ILayout,
  ILibraryProgram,
  ILibraryProgramDetail,
  ILogChunk,
  IPublished,
  IRerunPlan,
  IResourceInfo,
  IResourceVersion,
  IRun,
  IRunsPage,
  IRunsQuery,
  ISchedulerStatus,
  IUseProgram,
  IWorkflowFile,
  IWorkflowInfo,
  IWorkflowVersion,
  IWorkflowVersionInfo
} from './types';

const PREFIX = 'batch/api';

/** A failed request: the server's {message, reason, problems}, or what went wrong. */
export class BatchApiError extends Error {
  readonly status: number;
  readonly reason: string;
  readonly problems: { where: string; message: string }[];

  constructor(status: number, body: IErrorBody) {
    super(body.message);
    this.name = 'BatchApiError';
    this.status = status;
    this.reason = body.reason;
    this.problems = body.problems ?? [];
  }

  /** The message without the list of problems it ends with (the server writes both). */
  get summary(): string {
    const tail = `: ${this.problems.map(p => `${p.where}: ${p.message}`).join('; ')}`;
    return this.problems.length && this.message.endsWith(tail)
      ? this.message.slice(0, -tail.length)
      : this.message;
  }

  /** One readable line: the message, then every problem with where it is. */
  get readable(): string {
    if (!this.problems.length) {
      return this.message;
    }
    return `${this.summary} — ${this.problems.map(p => `${p.where}: ${p.message}`).join('; ')}`;
  }

  /** Any thrown value as a BatchApiError (network failures, bugs). */
  static from(error: unknown): BatchApiError {
    if (error instanceof BatchApiError) {
      return error;
    }
    const message = error instanceof Error ? error.message : String(error);
    return new BatchApiError(0, { message, reason: 'client' });
  }
}

function isErrorBody(value: unknown): value is IErrorBody {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { message?: unknown }).message === 'string'
  );
}

type Query = Record<string, string | number | string[] | undefined>;

function queryString(query: Query | undefined): string {
  if (!query) {
    return '';
  }
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) {
      continue;
    }
    for (const v of Array.isArray(value) ? value : [value]) {
      parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(v))}`);
    }
  }
  return parts.length ? `?${parts.join('&')}` : '';
}

/** A path segment; the server's name pattern allows `+` and `@` as they are. */
function seg(name: string): string {
  return encodeURIComponent(name).replace(/%40/g, '@').replace(/%2B/g, '+');
}

export class BatchApi {
  readonly settings: ServerConnection.ISettings;

  constructor(settings?: ServerConnection.ISettings) {
    this.settings = settings ?? ServerConnection.makeSettings();
  }

  /** The URL of an API path (e.g. for a link). */
  url(path: string, query?: Query): string {
    return URLExt.join(this.settings.baseUrl, PREFIX, path) + queryString(query);
  }

  private async _fetch(
    method: string,
    path: string,
    options: { query?: Query; body?: unknown } = {}
  ): Promise<Response> {
    const init: RequestInit = { method };
    if (options.body !== undefined) {
      init.body = JSON.stringify(options.body);
      init.headers = { 'Content-Type': 'application/json' };
    }
    let response: Response;
    try {
      response = await ServerConnection.makeRequest(
        this.url(path, options.query),
        init,
        this.settings
      );
    } catch (error) {
      throw new BatchApiError(0, {
        message: `cannot reach the server: ${BatchApiError.from(error).message}`,
        reason: 'network'
      });
    }
    if (!response.ok) {
      let body: unknown = null;
      try {
        body = await response.json();
      } catch {
        // not JSON: a proxy's page or an empty body
      }
      throw new BatchApiError(
        response.status,
        isErrorBody(body)
          ? body
          : {
              message: `${method} ${path}: ${response.status} ${response.statusText}`,
              reason: 'http'
            }
      );
    }
    return response;
  }

  private async _json<T>(
    method: string,
    path: string,
    options: { query?: Query; body?: unknown } = {}
  ): Promise<T> {
    const response = await this._fetch(method, path, options);
    return (await response.json()) as T;
  }

  // --- workflows ---------------------------------------------------------------------

  async listWorkflows(): Promise<IWorkflowInfo[]> {
    const reply = await this._json<{ workflows: IWorkflowInfo[] }>('GET', 'workflows');
    return reply.workflows;
  }

  getWorkflow(name: string): Promise<IWorkflowInfo> {
    return this._json('GET', `workflows/${seg(name)}`);
  }

  saveWorkflow(document: IWorkflowFile): Promise<IWorkflowInfo> {
    return this._json('POST', 'workflows', { body: document });
  }

  async workflowVersions(name: string): Promise<IWorkflowVersionInfo[]> {
    const reply = await this._json<{ versions: IWorkflowVersionInfo[] }>(
      'GET',
      `workflows/${seg(name)}/versions`
    );
    return reply.versions;
  }

  /** A published version, with the workflow file it froze. */
  workflowVersion(name: string, version: number): Promise<IWorkflowVersion> {
    return this._json('GET', `workflows/${seg(name)}/versions/${version}`);
  }

  layout(name: string, version?: number | null): Promise<ILayout> {
    return this._json('GET', `workflows/${seg(name)}/layout`, {
      query: { version: version ?? undefined }
    });
  }

  async prerun(name: string, date?: string): Promise<number> {
    const reply = await this._json<{ run_id: number }>(
      'POST',
      `workflows/${seg(name)}/prerun`,
      { body: date ? { date } : {} }
    );
    return reply.run_id;
  }

  /** Run the published version now, for a logical date (today when not given). */
  async runNow(name: string, date?: string): Promise<number> {
    const reply = await this._json<{ run_id: number }>('POST', `workflows/${seg(name)}/runs`, {
      body: date ? { date } : {}
    });
    return reply.run_id;
  }

  async backfill(name: string, start: string, end: string): Promise<number[]> {
    const reply = await this._json<{ run_ids: number[] }>(
      'POST',
      `workflows/${seg(name)}/backfill`,
      { body: { start, end } }
    );
    return reply.run_ids;
  }

  publish(name: string, message = ''): Promise<IPublished> {
    return this._json('POST', `workflows/${seg(name)}/publish`, { body: { message } });
  }

  offline(name: string): Promise<IWorkflowInfo> {
    return this._json('POST', `workflows/${seg(name)}/offline`, { body: {} });
  }

  // --- runs --------------------------------------------------------------------------

  listRuns(query: IRunsQuery = {}): Promise<IRunsPage> {
    return this._json('GET', 'runs', {
      query: {
        workflow: query.workflow,
        state: query.states,
        limit: query.limit,
        offset: query.offset
      }
    });
  }

  getRun(runId: number): Promise<IRun> {
    return this._json('GET', `runs/${runId}`);
  }

  async stopRun(runId: number): Promise<void> {
    await this._fetch('POST', `runs/${runId}/stop`, { body: {} });
  }

  rerun(runId: number, task: string, downstream: boolean, preview = false): Promise<IRerunPlan> {
    return this._json('POST', `runs/${runId}/rerun`, { body: { task, downstream, preview } });
  }

  recover(runId: number, preview = false): Promise<IRerunPlan> {
    return this._json('POST', `runs/${runId}/recover`, { body: { preview } });
  }

  async attempts(runId: number, task: string): Promise<IAttempt[]> {
    const reply = await this._json<{ attempts: IAttempt[] }>(
      'GET',
      `runs/${runId}/tasks/${seg(task)}/attempts`
    );
    return reply.attempts;
  }

  log(runId: number, task: string, offset = 0, attempt?: number): Promise<ILogChunk> {
    return this._json('GET', `runs/${runId}/tasks/${seg(task)}/log`, {
      query: { offset, attempt }
    });
  }

  /** The executed notebook of a notebook task (ipynb JSON text) and its attempt. */
  async output(
    runId: number,
    task: string,
    attempt?: number
  ): Promise<{ attempt: number; text: string }> {
    const response = await this._fetch('GET', `runs/${runId}/tasks/${seg(task)}/output`, {
      query: { attempt, format: 'ipynb' }
    });
    const served = Number(response.headers.get('X-Batch-Attempt'));
    return { attempt: served || attempt || 0, text: await response.text() };
  }

  // --- resources ---------------------------------------------------------------------

  async listResources(): Promise<IResourceInfo[]> {
    const reply = await this._json<{ resources: IResourceInfo[] }>('GET', 'resources');
    return reply.resources;
  }

  async resourceVersions(name: string): Promise<IResourceVersion[]> {
    const reply = await this._json<{ versions: IResourceVersion[] }>(
      'GET',
      `resources/${seg(name)}`
    );
    return reply.versions;
  }

  /** The content of one version, as text. */
  async resourceContent(name: string, version: number): Promise<string> {
    const response = await this._fetch('GET', `resources/${seg(name)}/versions/${version}`);
    return response.text();
  }

  async diffResource(name: string, from: number, to: number): Promise<string> {
    const reply = await this._json<{ diff: string }>('GET', `resources/${seg(name)}/diff`, {
      query: { from, to }
    });
    return reply.diff;
  }

  /** Add a version (text content); identical content creates none. */
  addResource(name: string, content: string, message = ''): Promise<IAddedVersion> {
    return this._json('POST', `resources/${seg(name)}`, { body: { content, message } });
  }

  // --- scheduler ---------------------------------------------------------------------

  /** Which scheduler leads the store, and whether it is this server's. */
  schedulerStatus(): Promise<ISchedulerStatus> {
    return this._json('GET', 'scheduler');
  }

  // --- the library of built-in programs ------------------------------------------------

  async listPrograms(): Promise<ILibraryProgram[]> {
    const reply = await this._json<{ programs: ILibraryProgram[] }>('GET', 'library');
    return reply.programs;
  }

  getProgram(name: string): Promise<ILibraryProgramDetail> {
    return this._json('GET', `library/${seg(name)}`);
  }

  /** Create a workflow that runs the program (400 names each bad parameter). */
  useProgram(name: string, use: IUseProgram): Promise<IWorkflowInfo> {
    return this._json('POST', `library/${seg(name)}/use`, { body: use });
  }

  /** Copy the program's latest script into a new user resource, to be changed. */
  copyProgram(
    name: string,
    resource: string
  ): Promise<{ name: string; versions: IResourceVersion[] }> {
    return this._json('POST', `library/${seg(name)}/copy`, { body: { name: resource } });
  }
}
