// Responses are written together at the end of the event-loop turn in which they were finished,
// not one at a time as each is ready. Under load, writing each response between reading the next
// requests made a socket write cost about three times the CPU (the kernel's side of the write,
// charged to this process), and an anonymous request about 1.4 times the CPU it costs written this
// way (A/B: 0.70 and 0.73), and 1.7 times one with a JWT on the same server; requests with a
// credential were spared it already, because they wait for the store's credential check at the end
// of their turn (bench/README.md, "Writes at the end of the turn").
import { setImmediate as checkPhase } from 'node:timers';

let waiting: (() => void)[] | undefined;

function releaseWaiting(): void {
  const released = waiting ?? [];
  waiting = undefined;
  for (const resolve of released) resolve();
}

/**
 * Resolves with `value` in the check phase of this event-loop turn, after everything the turn's
 * I/O started, together with (and in the order of) every other call made in the same turn. A call
 * made while a turn's calls are being released waits for the next turn.
 */
export function atEndOfTurn<T>(value: T): Promise<T> {
  return new Promise<T>((resolve) => {
    const release = () => resolve(value);
    if (waiting !== undefined) {
      waiting.push(release);
      return;
    }
    waiting = [release];
    checkPhase(releaseWaiting);
  });
}
