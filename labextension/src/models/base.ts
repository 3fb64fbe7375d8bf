import { Signal } from '@lumino/signaling';
import type { ISignal } from '@lumino/signaling';

import { BatchApiError } from '../api';

/** What every view model has: a `changed` signal and the last load error. */
export abstract class ViewModel {
  /** Emitted after any change of what the view shows. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The last failed load, shown in the view until the next success. */
  get error(): BatchApiError | null {
    return this._error;
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    for (const timer of this._timers.values()) {
      clearTimeout(timer);
    }
    this._timers.clear();
    Signal.clearData(this);
  }

  protected emit(): void {
    if (!this._disposed) {
      this._changed.emit();
    }
  }

  /** Run a load, keeping its error for the view (actions throw instead). */
  protected async load<T>(work: () => Promise<T>): Promise<T | undefined> {
    try {
      const result = await work();
      this._error = null;
      return result;
    } catch (error) {
      this._error = BatchApiError.from(error);
      return undefined;
    } finally {
      this.emit();
    }
  }

  /** Call `fn` once, `ms` after the last of a burst of calls with this key. */
  protected debounce(key: string, ms: number, fn: () => void): void {
    const previous = this._timers.get(key);
    if (previous !== undefined) {
      clearTimeout(previous);
    }
    this._timers.set(
      key,
      setTimeout(() => {
        this._timers.delete(key);
        if (!this._disposed) {
          fn();
        }
      }, ms)
    );
  }

  private _changed = new Signal<this, void>(this);
  private _error: BatchApiError | null = null;
  private _disposed = false;
  private _timers = new Map<string, ReturnType<typeof setTimeout>>();
}
