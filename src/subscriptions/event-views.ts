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

/** One event's read through one view, and its answer per viewer key (the item, or undefined when not visible). */
interface SharedRead {
  readonly item: Promise<unknown>;
  readonly answers: Map<string, Promise<unknown>>;
}

const readsByEvent = new WeakMap<DeliveredEvent, Map<EventView<unknown>, SharedRead>>();

/** The key under which viewers share `visibleTo` answers: equal for equal id, credential kind, roles and scopes. */
export function viewerKey(viewer: Viewer | null): string {
  if (viewer === null) return 'anonymous';
  const scopes = viewer.scopes === undefined ? null : [...viewer.scopes].sort();
  return JSON.stringify([viewer.id, viewer.via, [...viewer.roles].sort(), scopes]);
}

export interface Reading {
  readonly viewer: Viewer | null;
  readonly viewerKey: string;
  readonly reader: EventReader;
  /** Told once per event and view when `load` or a `visibleTo` throws; the event is then skipped for those it concerns. */
  readonly failed: (error: unknown) => void;
}

/** What `event` names, read through `view`, when `reading.viewer` may see it; undefined when not. */
export function viewEvent<T>(event: DeliveredEvent, view: EventView<T>, reading: Reading): Promise<T | undefined> {
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
  let answer = shared.answers.get(reading.viewerKey);
  if (answer === undefined) {
    const { viewer, failed } = reading;
    answer = shared.item
      .then(async (item) => (item !== undefined && (await view.visibleTo(viewer, item as T)) ? item : undefined))
      .catch((error: unknown) => {
        failed(error);
        return undefined;
      });
    shared.answers.set(reading.viewerKey, answer);
  }
  return answer as Promise<T | undefined>;
}
