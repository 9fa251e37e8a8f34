/**
 * Shared reading of one event (src/context.ts, EventView): every subscriber whose field passes the
 * same EventView object gets the same `load` of the event (once per delivery on this instance)
 * and the same `visibleTo` answer for the same viewer key. The memo hangs off the bus's
 * DeliveredEvent object, so it lives exactly as long as some subscriber still has that event
 * pending, and nothing is shared across events.
 *
 * Why this is safe: `load` gets no subscriber's context (only the database and the clock), and a
 * viewer key (viewerKey below) is equal only for viewers equal in everything gatehouse's rules read
 * (id, credential kind, roles, scopes), so a shared answer is the answer each would have got.
 */
import type { Viewer } from '../auth/viewer';
import type { EventReader, EventView } from '../context';
import type { DeliveredEvent } from '../events/event-bus';

/** One viewer key's answer to one event through one view: the item, or undefined when not visible. */
interface Answer {
  settled: boolean;
  value: unknown;
  /** Told the value once it is known (pairs of waiter and its token, flat); cleared then. */
  waiting: unknown[] | undefined;
}

/** One event's read through one view, and its answer per viewer key. */
interface SharedRead {
  readonly item: Promise<unknown>;
  readonly answers: Map<string, Answer>;
}

const readsByEvent = new WeakMap<DeliveredEvent, Map<EventView<unknown>, SharedRead>>();

/** The key under which viewers share `visibleTo` answers: equal for equal id, credential kind, roles and scopes. */
export function viewerKey(viewer: Viewer | null): string {
  if (viewer === null) return 'anonymous';
  const scopes = viewer.scopes === undefined ? null : [...viewer.scopes].sort();
  return JSON.stringify([viewer.id, viewer.via, [...viewer.roles].sort(), scopes]);
}

/** Who waits for an answer: told with the token it gave. */
export interface ViewWaiter<T> {
  viewSettled(token: object, value: T | undefined): void;
}

export interface Reading {
  readonly viewer: Viewer | null;
  readonly viewerKey: string;
  readonly reader: EventReader;
  /** Told once per event and view when `load` or a `visibleTo` throws; the event is then skipped for those it concerns. */
  readonly failed: (error: unknown) => void;
}

/**
 * Tells `waiter` (with `token`) what `event` names, read through `view`, when `reading.viewer` may
 * see it, else undefined: at once when another subscriber with the same viewer key has had the
 * answer, else once the shared read and decision are done. Every waiter of one answer is told in
 * one loop, with no promise or closure of its own: an event 2,000 subscribers may not see is one
 * read, one decision and 2,000 plain calls.
 */
export function viewEvent<T>(event: DeliveredEvent, view: EventView<T>, reading: Reading, waiter: ViewWaiter<T>, token: object): void {
  let byView = readsByEvent.get(event);
  if (byView === undefined) readsByEvent.set(event, (byView = new Map()));
  let shared = byView.get(view as EventView<unknown>);
  if (shared === undefined) {
    const item = Promise.resolve()
      .then(() => view.load(event.id, reading.reader))
      .catch((error: unknown) => {
        reading.failed(error);
        return undefined;
      });
    shared = { item, answers: new Map() };
    byView.set(view as EventView<unknown>, shared);
  }
  const known = shared.answers.get(reading.viewerKey);
  if (known?.settled) {
    waiter.viewSettled(token, known.value as T | undefined);
    return;
  }
  if (known !== undefined) {
    known.waiting?.push(waiter, token);
    return;
  }
  const answer: Answer = { settled: false, value: undefined, waiting: [waiter, token] };
  shared.answers.set(reading.viewerKey, answer);
  const { viewer, failed } = reading;
  void shared.item
    .then(async (item) => (item !== undefined && (await view.visibleTo(viewer, item as T)) ? item : undefined))
    .catch((error: unknown) => {
      failed(error);
      return undefined;
    })
    .then((value) => {
      const waiting = answer.waiting ?? [];
      Object.assign(answer, { settled: true, value, waiting: undefined });
      for (let i = 0; i < waiting.length; i += 2)
        (waiting[i] as ViewWaiter<T>).viewSettled(waiting[i + 1] as object, value as T | undefined);
    });
}
