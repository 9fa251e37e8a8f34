/*
 * A mutation whose event cannot be logged (the event_log INSERT fails after the change itself has
 * committed): what the client gets, over real HTTP on SQLite.
 */
import { sql } from 'kysely';
import { signUp } from '../helpers/accounts';
import { type HttpHarness, NO_STACK_OR_HTML, startHttpServer } from '../helpers/http';

describe('a publish that fails', () => {
  let h: HttpHarness;
  beforeAll(async () => {
    h = await startHttpServer();
  });
  afterAll(() => h.close());

  it('answers the mutation with its result, no error and no stack: the note is created, its event alone is lost', async () => {
    const user = await signUp(h);
    await sql`create trigger event_log_refuses before insert on event_log begin select raise(abort, 'event log refuses'); end`.execute(
      h.store.db,
    );
    try {
      const response = await h.gql('mutation { createNote(title: "kept", body: "b") { id title } }', {
        headers: { authorization: `Bearer ${user.accessToken}` },
      });
      expect(response.status).toBe(200);
      expect(response.body.errors).toBeUndefined();
      expect(response.body.data?.['createNote']).toEqual({ id: expect.any(String), title: 'kept' });
      expect(response.text).not.toMatch(NO_STACK_OR_HTML);
      const notes = await h.store.db
        .selectFrom('notes' as never)
        .select(sql<number>`count(*)`.as('n'))
        .executeTakeFirst();
      expect(Number((notes as { n: number }).n)).toBe(1);
      const events = await h.store.db.selectFrom('event_log').select(sql<number>`count(*)`.as('n')).executeTakeFirst();
      expect(Number(events?.n)).toBe(0);
    } finally {
      await sql`drop trigger event_log_refuses`.execute(h.store.db);
    }
  });
});
