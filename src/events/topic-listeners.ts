/**
 * The listeners of each event topic on this instance, and the delivery of one event to them. A
 * listener that throws is reported and the others still get the event. Every listener of one
 * delivery gets the same DeliveredEvent object: what subscribers share for that event (the one
 * read of what it names, src/subscriptions/event-views.ts) hangs off it and goes when they are done.
 */
import type { DeliveredEvent } from './types';

/** Called with each event's id, and the one object that stands for this delivery of it on this instance. */
export type TopicListener = (id: string, event: DeliveredEvent) => void;

export class TopicListeners {
  private readonly byTopic = new Map<string, Set<TopicListener>>();
  private total = 0;

  /** Adds `listener` to `topic`; returns the function that removes it (once). */
  add(topic: string, listener: TopicListener): () => void {
    let set = this.byTopic.get(topic);
    if (set === undefined) this.byTopic.set(topic, (set = new Set()));
    // A wrapper of its own, so the same function added twice is two listeners removed one at a time.
    const entry: TopicListener = (id, event) => listener(id, event);
    set.add(entry);
    this.total++;
    let removed = false;
    return () => {
      if (removed) return;
      removed = true;
      this.total--;
      set.delete(entry);
      if (set.size === 0 && this.byTopic.get(topic) === set) this.byTopic.delete(topic);
    };
  }

  /** Calls each listener of `topic`; one that throws is reported to `failed` and the others still get the event. */
  deliver(topic: string, id: string, failed: (error: unknown) => void): void {
    const set = this.byTopic.get(topic);
    if (set === undefined) return;
    const event: DeliveredEvent = { topic, id };
    for (const listener of [...set]) {
      try {
        listener(id, event);
      } catch (error) {
        failed(error);
      }
    }
  }

  count(): number {
    return this.total;
  }
}
