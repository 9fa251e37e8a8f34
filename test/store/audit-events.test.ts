import { type AuditEventRecord, countAuditEvents, insertAuditEvent, listAuditEvents } from '../../src/store/audit-events';
import { newId } from '../../src/store/ids';
import { databasesUnderTest } from '../helpers/databases';
import { at, byCreatedThenId, freshStore, walk } from '../helpers/store';

/*
 * src/store/audit-events.ts, run against each dialect: the same code must give the same answers on SQLite
 * (timestamps as ISO TEXT) and PostgreSQL (timestamptz).
 */
describe.each(databasesUnderTest())('audit events on %s', (dialect) => {
  describe('audit events', () => {
    const s = freshStore(dialect);
    const events: AuditEventRecord[] = [];

    beforeAll(async () => {
      const actor = newId();
      const subject = newId();
      const plan: Array<Omit<AuditEventRecord, 'id'>> = [
        {
          createdAt: at('2026-06-01T00:00:00.000Z'),
          action: 'user.signed_up',
          actorId: null,
          subjectId: subject,
          address: '10.1.1.1',
          source: 'request',
          detail: null,
        },
        {
          createdAt: at('2026-06-01T00:00:00.001Z'),
          action: 'login.failed',
          actorId: null,
          subjectId: null,
          address: '10.1.1.2',
          source: 'request',
          detail: { email: 'Ünï@example.com', attempts: 3, locked: false, reason: null },
        },
        {
          createdAt: at('2026-06-01T00:00:00.001Z'),
          action: 'login.succeeded',
          actorId: subject,
          subjectId: subject,
          address: null,
          source: 'request',
          detail: {},
        },
        {
          createdAt: at('2026-06-01T00:00:00.001Z'),
          action: 'user.role_changed',
          actorId: actor,
          subjectId: subject,
          address: '::1',
          source: 'cli',
          detail: { from: 'USER', to: 'ADMIN', quote: 'say "hi"\n\\', ratio: 0.5 },
        },
        {
          createdAt: at('2026-06-02T00:00:00.000Z'),
          action: 'api_key.created',
          actorId: subject,
          subjectId: subject,
          address: null,
          source: 'request',
          detail: { prefix: 'gh_1234' },
        },
        {
          createdAt: at('2026-06-02T00:00:00.000Z'),
          action: 'api_key.revoked',
          actorId: actor,
          subjectId: subject,
          address: null,
          source: 'request',
          detail: { prefix: 'gh_1234' },
        },
        {
          createdAt: at('2026-06-03T10:00:00.000Z'),
          action: 'session.logged_out',
          actorId: subject,
          subjectId: null,
          address: '10.1.1.3',
          source: 'request',
          detail: null,
        },
      ];
      const ids = plan.map(() => newId());
      // Insert in an order unlike either time or id order.
      for (const i of [4, 0, 6, 3, 1, 5, 2]) {
        const event: AuditEventRecord = { id: ids[i] as string, ...(plan[i] as Omit<AuditEventRecord, 'id'>) };
        await insertAuditEvent(s.db(), event);
        events.push(event);
      }
    });

    const newestFirst = (a: AuditEventRecord, b: AuditEventRecord): number => -byCreatedThenId(a, b);

    it('lists events newest first (ties by id, descending), every field and detail round-tripped', async () => {
      const expected = [...events].sort(newestFirst);
      expect(await listAuditEvents(s.db(), 100, null)).toEqual(expected);
      expect((await listAuditEvents(s.db(), 2, null)).map((e) => e.action)).toEqual(['session.logged_out', expected[1]?.action]);
      const roleChange = (await listAuditEvents(s.db(), 100, null)).find((e) => e.action === 'user.role_changed');
      expect(roleChange?.detail).toEqual({ from: 'USER', to: 'ADMIN', quote: 'say "hi"\n\\', ratio: 0.5 });
    });

    it('pages with a Position (createdAt = occurredAt) without duplicates or gaps', async () => {
      const expected = [...events].sort(newestFirst).map((e) => e.id);
      for (const pageSize of [1, 2, 3, 5]) {
        const { items } = await walk(pageSize, (limit, before) => listAuditEvents(s.db(), limit, before));
        expect(items.map((e) => e.id)).toEqual(expected);
      }
      const oldest = [...events].sort(newestFirst).at(-1) as AuditEventRecord;
      expect(await listAuditEvents(s.db(), 10, { createdAt: oldest.createdAt, id: oldest.id })).toEqual([]);
    });

    it('counts events', async () => {
      expect(await countAuditEvents(s.db())).toBe(events.length);
    });
  });
});
