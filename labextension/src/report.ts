import { Notification } from '@jupyterlab/apputils';

import { BatchApiError } from './api';

/** Show a failed action: what was tried, then the server's message and problems. */
export function reportError(what: string, error: unknown): void {
  const e = BatchApiError.from(error);
  Notification.error(`${what} failed: ${e.readable}`, { autoClose: 10000 });
}
