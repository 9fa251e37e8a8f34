import {
  parseEndedSessions,
  providerTokenEnded,
  serializeEndedSessions,
  sessionEnded,
  withEndedSessions,
} from '../../src/auth/session-ends';

const at = (iso: string) => new Date(iso);
const seconds = (iso: string) => Math.floor(Date.parse(iso) / 1000);

describe('sessionEnded', () => {
  const nothingEnded = { endedSessions: null, sessionsEndedAt: null };

  it('keeps every token of an account whose sessions were never ended', () => {
    expect(sessionEnded(nothingEnded, { sid: 's1', iat: seconds('2026-11-29T10:00:00Z') })).toBe(false);
    expect(sessionEnded(nothingEnded, { iat: seconds('2026-11-29T10:00:00Z') })).toBe(false);
  });

  it('refuses a token of an ended session and keeps the account’s other sessions', () => {
    const user = { endedSessions: new Map([['s1', seconds('2026-11-29T10:20:00Z')]]), sessionsEndedAt: null };
    expect(sessionEnded(user, { sid: 's1', iat: seconds('2026-11-29T10:00:00Z') })).toBe(true);
    expect(sessionEnded(user, { sid: 's2', iat: seconds('2026-11-29T10:00:00Z') })).toBe(false);
  });

  it('judges a token without a session by the cut-off: issued before (or in its second) refused, after kept', () => {
    const user = { endedSessions: null, sessionsEndedAt: at('2026-11-29T10:00:00.500Z') };
    expect(sessionEnded(user, { iat: seconds('2026-11-29T09:59:59Z') })).toBe(true);
    expect(sessionEnded(user, { iat: seconds('2026-11-29T10:00:00Z') })).toBe(true);
    expect(sessionEnded(user, { iat: seconds('2026-11-29T10:00:01Z') })).toBe(false);
    // A cut-off exactly on a whole second: a token issued in that second is refused too.
    const onTheSecond = { endedSessions: null, sessionsEndedAt: at('2026-11-29T10:00:00.000Z') };
    expect(sessionEnded(onTheSecond, { iat: seconds('2026-11-29T10:00:00Z') })).toBe(true);
    expect(sessionEnded(onTheSecond, { iat: seconds('2026-11-29T10:00:01Z') })).toBe(false);
  });

  it('does not apply the cut-off to tokens that name their session (a login right after logoutEverywhere works)', () => {
    const user = { endedSessions: new Map([['old', seconds('2026-11-29T10:20:00Z')]]), sessionsEndedAt: at('2026-11-29T10:00:00.500Z') };
    expect(sessionEnded(user, { sid: 'new', iat: seconds('2026-11-29T10:00:00Z') })).toBe(false);
  });
});

describe('withEndedSessions', () => {
  const now = seconds('2026-11-29T10:00:00Z');

  it('adds sessions and drops those whose tokens have all expired', () => {
    const current = new Map([
      ['expired', now - 1],
      ['live', now + 100],
    ]);
    expect(withEndedSessions(current, ['s1', 's2'], now + 965, now)).toEqual(
      new Map([
        ['live', now + 100],
        ['s1', now + 965],
        ['s2', now + 965],
      ]),
    );
  });

  it('never shortens how long a session stays ended', () => {
    expect(withEndedSessions(new Map([['s1', now + 2000]]), ['s1'], now + 965, now).get('s1')).toBe(now + 2000);
  });
});

describe('stored form', () => {
  it('round-trips, and an empty list is stored as null', () => {
    const ended = new Map([['0190a1b2-0000-7000-8000-000000000001', 1_800_000_000]]);
    expect(parseEndedSessions(serializeEndedSessions(ended))).toEqual(ended);
    expect(serializeEndedSessions(new Map())).toBeNull();
    expect(parseEndedSessions(null)).toBeNull();
  });

  it('ignores entries that are not numbers and ids that look like prototype keys', () => {
    const parsed = parseEndedSessions('{"__proto__": 5, "a": "x", "b": 7}');
    expect(parsed?.get('b')).toBe(7);
    expect(parsed?.has('a')).toBe(false);
    expect(parsed?.has('toString')).toBe(false);
  });
});

describe('providerTokenEnded', () => {
  it('keeps provider tokens of an account whose sessions were never ended, with or without iat', () => {
    expect(providerTokenEnded({ endedSessions: null, sessionsEndedAt: null }, seconds('2026-11-29T10:00:00Z'))).toBe(false);
    expect(providerTokenEnded({ endedSessions: null, sessionsEndedAt: null }, null)).toBe(false);
  });

  it('refuses one issued before the cut-off or in its second (a cut-off on a whole second, iat equal to it), keeps one after', () => {
    const user = { endedSessions: null, sessionsEndedAt: at('2026-11-29T10:00:00.000Z') };
    expect(providerTokenEnded(user, seconds('2026-11-29T09:59:59Z'))).toBe(true);
    expect(providerTokenEnded(user, seconds('2026-11-29T10:00:00Z'))).toBe(true);
    expect(providerTokenEnded(user, seconds('2026-11-29T10:00:01Z'))).toBe(false);
  });

  it('refuses a token without iat once there is a cut-off: it cannot show it came after', () => {
    expect(providerTokenEnded({ endedSessions: null, sessionsEndedAt: at('2026-11-29T10:00:00.000Z') }, null)).toBe(true);
  });
});
