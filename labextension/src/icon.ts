import { LabIcon } from '@jupyterlab/ui-components';

/** Three tasks in a DAG: the "Batch" icon (themed through jp-icon3). */
const svgstr = `<svg xmlns="http://www.w3.org/2000/svg" width="16" height="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <rect x="2" y="3" width="8" height="6" rx="1.5"/>
    <rect x="14" y="3" width="8" height="6" rx="1.5"/>
    <rect x="8" y="15" width="8" height="6" rx="1.5"/>
    <path d="M6 9v2.5a1 1 0 0 0 1 1h4v2.5h2v-2.5h4a1 1 0 0 0 1-1V9h-2v1.5H8V9z"/>
  </g>
</svg>`;

export const batchIcon = new LabIcon({ name: 'jupyter-batch:batch', svgstr });
