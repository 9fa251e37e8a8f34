import { setImmediate as checkPhase } from 'node:timers';
import { atEndOfTurn } from '../../src/http/turn-writes';

/** Resolves after every promise job and next-tick callback now queued has run. */
const afterMicrotasks = () => new Promise<void>((resolve) => process.nextTick(() => queueMicrotask(resolve)));

describe('atEndOfTurn', () => {
  it('holds a response until the check phase of its turn, not only until the microtasks are done', async () => {
    const released: string[] = [];
    void atEndOfTurn('a').then((value) => released.push(value));
    await afterMicrotasks();
    await afterMicrotasks();
    expect(released).toEqual([]);
    await new Promise((resolve) => checkPhase(resolve));
    expect(released).toEqual(['a']);
  });

  it('releases the responses of one turn in the order they were finished', async () => {
    const order = ['first', 'second', 'third'];
    const seen: string[] = [];
    await Promise.all(order.map((name) => atEndOfTurn(name).then(() => seen.push(name))));
    expect(seen).toEqual(order);
  });

  it('puts a response finished during a release into the next turn, after the ones released', async () => {
    const seen: string[] = [];
    let inner: Promise<unknown> | undefined;
    const outer = atEndOfTurn('outer').then((value) => {
      seen.push(value);
      inner = atEndOfTurn('inner').then((next) => seen.push(next));
    });
    const sameTurn = atEndOfTurn('same turn').then((value) => seen.push(value));
    await Promise.all([outer, sameTurn]);
    expect(seen).toEqual(['outer', 'same turn']);
    await inner;
    expect(seen).toEqual(['outer', 'same turn', 'inner']);
  });
});
