/**
 * A clock for views that show running times: while on, it calls `tick` once a period
 * so elapsed times and growing bars move although no event arrives. It only redraws —
 * it never asks the server anything.
 */
export class Ticker {
  constructor(
    private readonly _tick: () => void,
    private readonly _period = 1000
  ) {}

  /** Whether it ticks. */
  get running(): boolean {
    return this._timer !== null;
  }

  /** Tick (`on`) or stop ticking; saying the same twice does nothing. */
  set(on: boolean): void {
    if (on && this._timer === null) {
      this._timer = window.setInterval(this._tick, this._period);
    } else if (!on && this._timer !== null) {
      window.clearInterval(this._timer);
      this._timer = null;
    }
  }

  dispose(): void {
    this.set(false);
  }

  private _timer: number | null = null;
}
