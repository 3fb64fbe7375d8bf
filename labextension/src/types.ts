/**
 * What the REST API under /batch/api sends and receives (see its openapi.json).
 * Times are ISO-8601 strings; optional fields are ones the server may add later.
 */

export type WorkflowState = 'draft' | 'published' | 'offline';

export type RunState =
  | 'queued'
  | 'running'
  | 'success'
  | 'failed'
  | 'cancelled'
  | 'interrupted';

export const RUN_STATES: readonly RunState[] = [
  'queued',
  'running',
  'success',
  'failed',
  'cancelled',
  'interrupted'
];

export type TaskState =
  | 'pending'
  | 'waiting'
  | 'queued'
  | 'running'
  | 'success'
  | 'failed'
  | 'retrying'
  | 'skipped'
  | 'upstream_failed'
  | 'cancelled';

export type RunTrigger = 'schedule' | 'manual' | 'prerun' | 'backfill';

export interface ISchedule {
  cron?: string;
  once?: string;
  timezone?: string;
  catchup?: string;
  start?: string;
  end?: string;
  max_active_runs?: number;
}

export interface ITaskSpec {
  id: string;
  type: string;
  [option: string]: unknown;
}

/** A workflow file (NAME.workflow.json). */
export interface IWorkflowFile {
  name: string;
  description?: string;
  params?: Record<string, unknown>;
  schedule?: ISchedule;
  max_parallel?: number;
  failure_strategy?: 'continue' | 'stop';
  references?: { id: string; workflow: string; [k: string]: unknown }[];
  tasks: ITaskSpec[];
  relations?: { from: string; to: string; rerun?: boolean }[];
}

export interface IWorkflowInfo {
  name: string;
  state: WorkflowState;
  description: string | null;
  latest_version: number | null;
  draft_changed: boolean;
  updated_at: string;
  draft: IWorkflowFile;
  /** The next scheduled fire of a published workflow (null: none). */
  next_run_at?: string | null;
  /** The newest run of the workflow (null: it never ran). */
  last_run?: IRun | null;
}

/** One published version of a workflow (GET /workflows/NAME/versions). */
export interface IWorkflowVersionInfo {
  version: number;
  author: string | null;
  message: string | null;
  published_at: string;
}

/** A published version with its document (GET /workflows/NAME/versions/N). */
export interface IWorkflowVersion extends IWorkflowVersionInfo {
  name: string;
  definition: IWorkflowFile;
}

export interface ITaskRun {
  id: string;
  state: TaskState;
  attempt: number;
  exit_code: number | null;
  message: string | null;
  outputs: Record<string, unknown> | null;
  started_at: string | null;
  ended_at: string | null;
}

export interface IRun {
  id: number;
  workflow: string;
  workflow_version: number | null;
  logical_date: string;
  trigger: RunTrigger;
  state: RunState;
  message: string | null;
  params: Record<string, unknown> | null;
  created_at: string;
  started_at: string | null;
  ended_at: string | null;
  /** Present on GET /runs/{id} once the run has task runs. */
  tasks?: ITaskRun[];
}

export interface IRunsPage {
  total: number;
  runs: IRun[];
}

export interface IRunsQuery {
  workflow?: string;
  states?: RunState[];
  limit?: number;
  offset?: number;
}

export interface ILayoutNode {
  id: string;
  kind: 'task' | 'reference';
  type: string;
  /** the layer (left to right) */
  x: number;
  /** the row inside the layer */
  y: number;
  workflow?: string;
}

export interface ILayoutEdge {
  from: string;
  to: string;
  rerun: boolean;
}

export interface ILayout {
  name: string;
  nodes: ILayoutNode[];
  edges: ILayoutEdge[];
}

export interface IAttempt {
  attempt: number;
  state: TaskState;
  started_at: string | null;
  ended_at: string | null;
  exit_code: number | null;
  message: string | null;
}

export interface ILogChunk {
  text: string;
  offset: number;
  next_offset: number;
  /** the attempt has finished: nothing more will be written */
  complete: boolean;
  attempt: number;
}

export interface IRerunPlan {
  run_id: number;
  tasks: string[];
  started: boolean;
}

export interface IResourceInfo {
  name: string;
  format: string;
  latest_version: number;
  updated_at: string;
  namespace?: string;
}

export interface IResourceVersion {
  name: string;
  version: number;
  sha256: string;
  size: number;
  message: string;
  author: string;
  created_at: string;
}

export interface IAddedVersion {
  version: IResourceVersion;
  created: boolean;
}

export interface IPublished {
  name: string;
  version: number;
  created: boolean;
}

export type LibraryParamType = 'string' | 'integer' | 'number' | 'boolean' | 'list';

/** One parameter of a library program's schema. */
export interface ILibraryParam {
  name: string;
  type: LibraryParamType;
  required: boolean;
  default: unknown;
  help: string;
  /** the only values allowed, when the schema names them */
  choices?: unknown[];
}

/** A built-in program of the library (GET /library). */
export interface ILibraryProgram {
  name: string;
  title: string;
  description: string;
  /** its resource, `library/<name>.py` */
  resource: string;
  /** the latest version of that resource */
  version: number;
  params: ILibraryParam[];
  /** a filled-in set of parameters that works */
  example: Record<string, unknown>;
}

/** One program with its resource's versions, oldest first, and latest source. */
export interface ILibraryProgramDetail extends ILibraryProgram {
  versions: IResourceVersion[];
  source: string;
}

/** "Use the program": the workflow to create from it. */
export interface IUseProgram {
  workflow: string;
  params: Record<string, unknown>;
  schedule?: ISchedule;
  publish?: boolean;
}

/** Which scheduler leads the store (GET /scheduler); the others stand by. */
export interface ISchedulerStatus {
  /** the lease holder, host:pid:tag; null when none leads */
  leader: string | null;
  /** seconds since it took the lease */
  leading_for: number | null;
  /** this server runs a scheduler */
  running_here: boolean;
  /** this server's scheduler leads */
  leads_here: boolean;
}

/** The error body of every 4xx/5xx answer. */
export interface IErrorBody {
  message: string;
  reason: string;
  problems?: { where: string; message: string }[];
}
