/**
 * Executed notebooks of notebook tasks, written into the workspace to be opened there.
 */
import type { PartialJSONObject } from '@lumino/coreutils';

/** The folder the panel writes executed notebooks into (relative to the server root). */
export const OUTPUT_FOLDER = 'batch-outputs';

/** Where the executed notebook of one attempt goes: one file per run, task and attempt. */
export function outputNotebookPath(runId: number, task: string, attempt: number): string {
  return `${OUTPUT_FOLDER}/run-${runId}/${task}.attempt-${attempt}.ipynb`;
}

/**
 * The notebook JSON with every cell marked not editable and not deletable, so it opens
 * read-only: it is a record of what ran, not a place to work.
 */
export function readOnlyNotebook(text: string): PartialJSONObject {
  const notebook = JSON.parse(text) as PartialJSONObject & {
    cells?: { metadata?: PartialJSONObject }[];
  };
  for (const cell of notebook.cells ?? []) {
    cell.metadata = { ...(cell.metadata ?? {}), editable: false, deletable: false };
  }
  return notebook;
}
