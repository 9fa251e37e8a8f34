/**
 * The WebSocket transport's counts and caps (README, "Subscriptions"): sockets not yet past
 * `connection_init` per client address, open sockets per user (per address when anonymous), and
 * running subscriptions per socket and per user. Counting only: the transport decides what a
 * refusal looks like (a close code, or LIMIT_EXCEEDED).
 */
import type { GraphQLError } from 'graphql';
import type { SubscriptionLimits } from '../config';
import { limitExceeded } from '../graphql/errors';

/**
 * Sockets one client address may hold before their `connection_init` is answered. Fixed, not
 * SUBSCRIPTION_SOCKETS_PER_USER: before `connection_init` there is no user, and every user behind
 * one proxy or NAT shares the address, so a per-user number would refuse their simultaneous
 * handshakes; a real client sends `connection_init` as soon as the socket opens, so a handshake
 * lasts milliseconds and 16 at once from one address is already a crowd.
 */
export const PENDING_SOCKETS_PER_ADDRESS = 16;

/** What the guard counts of an acknowledged socket. */
export interface GuardedConnection {
  /** Who the socket counts against: `user:<id>`, or `address:<key>` when anonymous. */
  readonly limitKey: string;
  /** Its running (or starting) subscriptions. */
  readonly subscriptions: { readonly size: number };
}

export class SocketGuard<C extends GuardedConnection> {
  /** Sockets whose `connection_init` is not yet answered, by the address key of their client. */
  private readonly pendingByAddress = new Map<string, number>();
  /** Acknowledged sockets by limit key. */
  private readonly byKey = new Map<string, Set<C>>();

  constructor(private readonly limits: Pick<SubscriptionLimits, 'socketsPerUser' | 'perSocket' | 'perUser'>) {}

  /**
   * Counts a new socket as pending for `addressKey`; returns the function that ends that count
   * (safe to call more than once), or undefined when the address has too many pending already.
   */
  admitPending(addressKey: string): (() => void) | undefined {
    const pending = this.pendingByAddress.get(addressKey) ?? 0;
    if (pending >= PENDING_SOCKETS_PER_ADDRESS) return undefined;
    this.pendingByAddress.set(addressKey, pending + 1);
    let counted = true;
    return () => {
      if (!counted) return;
      counted = false;
      const left = (this.pendingByAddress.get(addressKey) ?? 1) - 1;
      if (left <= 0) this.pendingByAddress.delete(addressKey);
      else this.pendingByAddress.set(addressKey, left);
    };
  }

  /** May one more socket count against `limitKey`? */
  hasRoomFor(limitKey: string): boolean {
    return (this.byKey.get(limitKey)?.size ?? 0) < this.limits.socketsPerUser;
  }

  add(connection: C): void {
    const peers = this.byKey.get(connection.limitKey);
    if (peers === undefined) this.byKey.set(connection.limitKey, new Set([connection]));
    else peers.add(connection);
  }

  remove(connection: C): void {
    const peers = this.byKey.get(connection.limitKey);
    peers?.delete(connection);
    if (peers?.size === 0) this.byKey.delete(connection.limitKey);
  }

  /** The refusal of one more subscription on `connection`, or undefined when it may start one. */
  subscriptionRefusal(connection: C): GraphQLError | undefined {
    if (connection.subscriptions.size >= this.limits.perSocket) {
      return limitExceeded(`At most ${this.limits.perSocket} subscriptions run on one connection.`);
    }
    if (this.subscriptionsOf(connection.limitKey) >= this.limits.perUser) {
      return limitExceeded(`At most ${this.limits.perUser} subscriptions run for one user at a time.`);
    }
    return undefined;
  }

  /** Every acknowledged socket. */
  *connections(): IterableIterator<C> {
    for (const peers of this.byKey.values()) yield* peers;
  }

  private subscriptionsOf(limitKey: string): number {
    let count = 0;
    for (const connection of this.byKey.get(limitKey) ?? []) count += connection.subscriptions.size;
    return count;
  }
}
