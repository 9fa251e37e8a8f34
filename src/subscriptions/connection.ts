/**
 * One WebSocket's caller, kept current: the credential from `connection_init` is authenticated
 * again (socket-authentication.ts: the same `authenticate` as HTTP, whose store lookups own
 * freshness) on every subscribe and every SUBSCRIPTION_RECHECK_MS (transport.ts's timer), never per
 * event: an event costs the same whatever its subscribers hold. The socket closes with 4401 when
 * the credential no longer holds:
 * a token past its `exp` (a timer, at `exp`), a revoked or expired key, a disabled or deleted user,
 * an ended session. A role change that denies a running subscription ends that subscription.
 */
import type { GraphQLError } from 'graphql';
import type { App } from '../app';
import type { PresentedCredential } from '../auth/credentials';
import type { Viewer } from '../auth/viewer';
import type { UserRecord } from '../store/users';
import { CLOSE_UNAUTHORIZED } from './close-codes';
import { viewerKey } from './event-views';
import { tokenExpiry } from './handshake';
import type { CheckedOperation } from './read-operation';
import { type Authenticated, type Authentication, authenticateSocket } from './socket-authentication';

/** What a refresh found: the viewer is current, the credential has ended (the socket is closing), or the store could not say. */
export type Freshness = 'current' | 'ended' | 'unknown';

/** A subscription the socket runs, as its root fields are re-checked against a changed viewer. */
export interface RunningSubscription extends CheckedOperation {
  /** Ends it with these errors sent to the client; set once it runs. */
  end?: (errors: readonly GraphQLError[]) => void;
}

/** What a socket counts against (socket-guard.ts). */
export interface ConnectionKeys {
  readonly limitKey: string;
  readonly networkKey: string | undefined;
}

export interface ConnectionHooks {
  /** Closes the socket. */
  close(code: number, reason: string): void;
  /** The errors for root fields of `subscription` that `viewer` may no longer read; empty while it may. */
  deniedRoots(subscription: RunningSubscription, viewer: Viewer | null): Promise<readonly GraphQLError[]>;
  warn(details: object, message: string): void;
  /** Its running subscriptions went up or down by `delta` (socket-guard.ts keeps the counts). */
  counted(delta: number): void;
}

/** Largest delay setTimeout keeps (about 24.8 days); a later `exp` re-arms the timer. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class Connection {
  private current: Authenticated;
  /** event-views.ts `viewerKey` of the current viewer. */
  private key: string;
  private refreshing: Promise<Freshness> | undefined;
  private expiryTimer: NodeJS.Timeout | undefined;
  private ended = false;
  /** The last re-check could not reach the store. */
  private unsure = false;
  readonly limitKey: string;
  readonly networkKey: string | undefined;
  /** Running (or starting) subscriptions by the client's id; changed only through track, release and forget. */
  private readonly running = new Map<string, RunningSubscription>();

  constructor(
    private readonly app: App,
    private readonly credential: PresentedCredential,
    authentication: Authenticated,
    /** Who the socket counts against (socket-guard.ts): `user:<id>`, or `address:<key>` and `network:<key>` when anonymous. */
    keys: ConnectionKeys,
    readonly clientAddress: string,
    private readonly hooks: ConnectionHooks,
  ) {
    this.current = authentication;
    this.key = viewerKey(authentication.viewer);
    this.limitKey = keys.limitKey;
    this.networkKey = keys.networkKey;
    const exp = credential.kind === 'jwt' ? tokenExpiry(credential.token) : undefined;
    if (exp !== undefined) this.armExpiry(exp * 1000);
  }

  get viewer(): Viewer | null {
    return this.current.viewer;
  }
  get user(): UserRecord | null {
    return this.current.user;
  }
  get sessionId(): string | null {
    return this.current.sessionId ?? null;
  }
  /** Viewers with equal keys share the answers of an event's visibility (event-views.ts). */
  get viewerKey(): string {
    return this.key;
  }
  /** As of the last re-check: `ended`, `unknown` (the store did not answer it) or `current`. */
  get standing(): Freshness {
    return this.ended ? 'ended' : this.unsure ? 'unknown' : 'current';
  }
  /** Has a credential to re-check (anonymous sockets have none). */
  get signedIn(): boolean {
    return this.credential.kind !== 'none';
  }
  /** True once the credential has ended or the socket closed. */
  get closed(): boolean {
    return this.ended;
  }

  private armExpiry(expiresAtMs: number): void {
    const delay = expiresAtMs - this.app.now().getTime();
    if (delay <= 0) {
      this.endCredential();
      return;
    }
    this.expiryTimer = setTimeout(
      () => (delay > MAX_TIMER_MS ? this.armExpiry(expiresAtMs) : this.endCredential()),
      Math.min(delay, MAX_TIMER_MS),
    );
    this.expiryTimer.unref();
  }

  /** The credential no longer holds: close with 4401 and no detail. */
  endCredential(): void {
    if (this.ended) return;
    this.ended = true;
    this.hooks.close(CLOSE_UNAUTHORIZED, 'Unauthorized');
  }

  /** Re-authenticates (anonymous sockets have nothing to re-read); calls made while one runs share it. */
  refresh(): Promise<Freshness> {
    if (this.ended) return Promise.resolve('ended');
    if (this.credential.kind === 'none') return Promise.resolve('current');
    return (this.refreshing ??= this.reauthenticate().finally(() => {
      this.refreshing = undefined;
    }));
  }

  private async reauthenticate(): Promise<Freshness> {
    let outcome: Authentication;
    try {
      outcome = await authenticateSocket(this.app, this.credential);
    } catch (error) {
      // Once per outage and socket, not once a second: the re-check keeps trying quietly.
      if (!this.unsure)
        this.hooks.warn(
          { err: error },
          'subscriber credential could not be re-checked (database); its events are skipped until the store answers',
        );
      this.unsure = true;
      return 'unknown';
    }
    this.unsure = false;
    if (this.ended) return 'ended';
    if (!outcome.ok) {
      this.endCredential();
      return 'ended';
    }
    this.current = outcome;
    this.key = viewerKey(outcome.viewer);
    for (const subscription of this.running.values()) {
      if (subscription.end === undefined) continue;
      const denied = await this.hooks.deniedRoots(subscription, outcome.viewer);
      if (this.ended) return 'ended';
      if (denied.length > 0) subscription.end?.(denied);
    }
    return 'current';
  }

  /** Forgets subscription `id` if it is still `subscription` (a newer one may have taken the id since). */
  release(id: string, subscription: RunningSubscription): void {
    if (this.running.get(id) === subscription) this.forget(id);
  }

  /** Running (or starting) subscriptions by the client's id. */
  get subscriptions(): ReadonlyMap<string, RunningSubscription> {
    return this.running;
  }

  /** Counts subscription `id` as running (socket-guard.ts counts it too). */
  track(id: string, subscription: RunningSubscription): void {
    if (!this.running.has(id)) this.hooks.counted(1);
    this.running.set(id, subscription);
  }

  /** Subscription `id` has ended (the client completed it, or it failed to start). */
  forget(id: string): void {
    if (this.running.delete(id)) this.hooks.counted(-1);
  }

  /** The socket closed: stop the timer. */
  dispose(): void {
    this.ended = true;
    if (this.expiryTimer !== undefined) clearTimeout(this.expiryTimer);
    if (this.running.size > 0) this.hooks.counted(-this.running.size);
    this.running.clear();
  }
}
