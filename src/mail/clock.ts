/**
 * Time as the relay sees it. The queue schedules retries and measures queue lifetimes only
 * through this interface, so tests drive backoff with a fake clock instead of waiting.
 */
export interface Timer {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Calls `fn` once after `ms` milliseconds (or later). */
  setTimer(ms: number, fn: () => void): Timer;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimer(ms, fn) {
    const handle = setTimeout(fn, Math.max(0, ms));
    // A pending retry must not keep a stopped relay's process alive.
    handle.unref();
    return { cancel: () => clearTimeout(handle) };
  },
};
