/** The ids of the extension's commands (also usable from the command palette). */
export const CommandIDs = {
  openPanel: 'jupyter-batch:open-panel',
  openRun: 'jupyter-batch:open-run',
  openWorkflow: 'jupyter-batch:open-workflow',
  openVersion: 'jupyter-batch:open-resource-version',
  diffVersions: 'jupyter-batch:diff-resource-versions',
  openOutput: 'jupyter-batch:open-output-notebook',
  addResource: 'jupyter-batch:add-resource',
  uploadCurrent: 'jupyter-batch:upload-current-file'
} as const;

/** Files the context menu offers to add as resources. */
export const RESOURCE_EXTENSIONS = ['.ipynb', '.py', '.sh', '.sql', '.hql'];
