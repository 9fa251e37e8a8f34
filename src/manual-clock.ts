/** A clock a test moves by hand; pass `clock.now` to createTestKit to step past expiries without waiting. */
export interface ManualClock {
  now(): Date;
  advance(ms: number): void;
  set(iso: string): void;
}

export function manualClock(start = '2026-12-01T09:00:00.000Z'): ManualClock {
  let t = new Date(start).getTime();
  return {
    now: () => new Date(t),
    advance(ms) {
      t += ms;
    },
    set(iso) {
      t = new Date(iso).getTime();
    },
  };
}
