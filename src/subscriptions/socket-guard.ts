/**
 * The WebSocket transport's counts and caps (docs/subscriptions.md). Counting only: the
 * transport decides what a refusal looks like (a close code, or LIMIT_EXCEEDED).
 *
 * - Sockets: SUBSCRIPTION_MAX_SOCKETS on the server (handshakes included); before
 *   `connection_init`, PENDING_SOCKETS_PER_ADDRESS per client address; after it,
 *   SUBSCRIPTION_SOCKETS_PER_USER per signed-in user or anonymous client address, and
 *   SUBSCRIPTION_SOCKETS_PER_NETWORK per anonymous network (IPV6_NETWORK_PREFIX).
 * - Subscriptions: SUBSCRIPTIONS_PER_SOCKET, SUBSCRIPTIONS_PER_USER (per anonymous address),
 *   SUBSCRIPTIONS_PER_NETWORK (anonymous) and SUBSCRIPTION_MAX_TOTAL on the server.
 *
 * A client address is an IPv4 address or an IPv6 network of IPV6_LIMIT_PREFIX bits (default /64);
 * an anonymous caller with a whole /48 holds 65,536 of those, so anonymous sockets are also
 * counted per wider network (default /48). Signed-in callers are counted per user: they cannot
 * multiply themselves by changing address.
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
  /** An anonymous socket's wider network (`network:<key>`); undefined when signed in. */
  readonly networkKey: string | undefined;
  /** Its running (or starting) subscriptions. */
  readonly subscriptions: { readonly size: number };
}

/** Why a new socket is refused at once: the server is full, or its address has too many handshakes under way. */
export type SocketRefusal = 'server' | 'pending';

type Limits = Pick<
  SubscriptionLimits,
  'socketsPerUser' | 'perSocket' | 'perUser' | 'socketsPerNetwork' | 'perNetwork' | 'maxSockets' | 'maxTotal'
>;

export class SocketGuard<C extends GuardedConnection> {
  /** Sockets open on this server, acknowledged or not. */
  private open = 0;
  /** Sockets whose `connection_init` is not yet answered, by the address key of their client. */
  private readonly pendingByAddress = new Map<string, number>();
  /** Acknowledged sockets by limit key, and anonymous ones by network key. */
  private readonly byKey = new Map<string, Set<C>>();
  private readonly byNetwork = new Map<string, Set<C>>();
  /** Running subscriptions: on the server, by limit key and by network key (kept as they change, not summed per subscribe). */
  private total = 0;
  private readonly subscriptionsByKey = new Map<string, number>();
  private readonly subscriptionsByNetwork = new Map<string, number>();

  constructor(private readonly limits: Limits) {}

  /**
   * Counts a new socket (on the server, and as pending for `addressKey`); returns the functions
   * that end those counts (each safe to call more than once), or why it is refused.
   */
  admitSocket(addressKey: string): { handshakeDone: () => void; closed: () => void } | SocketRefusal {
    if (this.open >= this.limits.maxSockets) return 'server';
    const pending = this.pendingByAddress.get(addressKey) ?? 0;
    if (pending >= PENDING_SOCKETS_PER_ADDRESS) return 'pending';
    this.open++;
    this.pendingByAddress.set(addressKey, pending + 1);
    const handshakeDone = once(() => {
      const left = (this.pendingByAddress.get(addressKey) ?? 1) - 1;
      if (left <= 0) this.pendingByAddress.delete(addressKey);
      else this.pendingByAddress.set(addressKey, left);
    });
    const closed = once(() => {
      handshakeDone();
      this.open--;
    });
    return { handshakeDone, closed };
  }

  /** May one more acknowledged socket count against these keys? */
  hasRoomFor(connection: Pick<C, 'limitKey' | 'networkKey'>): boolean {
    if ((this.byKey.get(connection.limitKey)?.size ?? 0) >= this.limits.socketsPerUser) return false;
    if (connection.networkKey === undefined) return true;
    return (this.byNetwork.get(connection.networkKey)?.size ?? 0) < this.limits.socketsPerNetwork;
  }

  add(connection: C): void {
    addTo(this.byKey, connection.limitKey, connection);
    if (connection.networkKey !== undefined) addTo(this.byNetwork, connection.networkKey, connection);
  }

  remove(connection: C): void {
    removeFrom(this.byKey, connection.limitKey, connection);
    if (connection.networkKey !== undefined) removeFrom(this.byNetwork, connection.networkKey, connection);
  }

  /** The refusal of one more subscription on `connection`, or undefined when it may start one. */
  subscriptionRefusal(connection: C): GraphQLError | undefined {
    const { perSocket, perUser, perNetwork, maxTotal } = this.limits;
    if (connection.subscriptions.size >= perSocket) return limitExceeded(`At most ${perSocket} subscriptions run on one connection.`);
    if ((this.subscriptionsByKey.get(connection.limitKey) ?? 0) >= perUser) {
      return limitExceeded(`At most ${perUser} subscriptions run for one user at a time.`);
    }
    const network = connection.networkKey;
    if (network !== undefined && (this.subscriptionsByNetwork.get(network) ?? 0) >= perNetwork) {
      return limitExceeded(`At most ${perNetwork} anonymous subscriptions run from one network at a time.`);
    }
    if (this.total >= maxTotal) return limitExceeded('The server runs as many subscriptions as it may; try again later.');
    return undefined;
  }

  /** Subscriptions of a socket with these keys went up or down by `delta`. */
  counted(keys: Pick<C, 'limitKey' | 'networkKey'>, delta: number): void {
    this.total += delta;
    bump(this.subscriptionsByKey, keys.limitKey, delta);
    if (keys.networkKey !== undefined) bump(this.subscriptionsByNetwork, keys.networkKey, delta);
  }

  /** Every acknowledged socket. */
  /** Sockets open now, acknowledged or not, and subscriptions running: the /metrics gauges. */
  counts(): { readonly sockets: number; readonly subscriptions: number } {
    return { sockets: this.open, subscriptions: this.total };
  }

  *connections(): IterableIterator<C> {
    for (const peers of this.byKey.values()) yield* peers;
  }
}

function once(action: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    action();
  };
}

function addTo<C>(map: Map<string, Set<C>>, key: string, connection: C): void {
  const set = map.get(key);
  if (set === undefined) map.set(key, new Set([connection]));
  else set.add(connection);
}

function removeFrom<C>(map: Map<string, Set<C>>, key: string, connection: C): void {
  const set = map.get(key);
  set?.delete(connection);
  if (set?.size === 0) map.delete(key);
}

function bump(counts: Map<string, number>, key: string, delta: number): void {
  const count = (counts.get(key) ?? 0) + delta;
  if (count <= 0) counts.delete(key);
  else counts.set(key, count);
}
