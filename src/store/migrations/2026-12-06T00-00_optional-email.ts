import { type Kysely, type Migration, sql } from 'kysely';
import { canonicalEmail } from '../../text-rules';
import type { Dialect } from '../schema';

/**
 * `users.email` (and `email_normalized`) may be NULL: a provider-linked account whose token carries
 * no verified, valid email has none, instead of the made-up `<sha256(issuer\nsub)[:32]>@external.invalid`
 * anyone could sign up first (issue 29, finding 2). The made-up addresses of linked accounts become
 * NULL; every other row is kept. Stored addresses whose comparison key differs from the canonical form sign-up now stores
 * (src/text-rules.ts canonicalEmail) are brought to it, where that form is free: an address whose canonical
 * form another account holds already (two look-alike accounts from before) is left as it was.
 *
 * SQLite cannot drop NOT NULL in place, and with foreign keys on (they are, and cannot be switched
 * off inside the migration's transaction) dropping `users` would cascade into every table that
 * references it. So the tables that reference `users` are copied aside and dropped first, then
 * `users` is rebuilt without the two NOT NULLs, then the others are rebuilt from their own
 * definitions; all inside the migrator's transaction, so it lands whole or not at all.
 */
export const optionalEmail = (dialect: Dialect): Migration => ({
  async up(db) {
    if (dialect === 'postgres') {
      await sql`alter table users alter column email drop not null, alter column email_normalized drop not null`.execute(db);
    } else {
      await rebuildSqliteUsers(db, (definition) => {
        const next = definition
          .replace('"email" text not null,', '"email" text,')
          .replace('"email_normalized" text not null unique', '"email_normalized" text unique');
        if (next === definition) throw new Error('optional-email: the users table is not in the expected shape');
        return next;
      });
    }
    await sql`update users set email = null, email_normalized = null
               where password_hash = '!external' and email like '%@external.invalid'`.execute(db);
    await canonicalizeEmails(db);
  },
  async down(db) {
    // Accounts without an email get an address no one can sign up (not an email at all), unique by id.
    await sql`update users set email = '!' || id, email_normalized = '!' || id where email is null`.execute(db);
    if (dialect === 'postgres') {
      await sql`alter table users alter column email set not null, alter column email_normalized set not null`.execute(db);
    } else {
      await rebuildSqliteUsers(db, (definition) =>
        definition
          .replace('"email" text,', '"email" text not null,')
          .replace('"email_normalized" text unique', '"email_normalized" text not null unique'),
      );
    }
  },
});

/** Only rows whose comparison key changes (Unicode forms, IDN domains): plain addresses are left exactly as typed. */
async function canonicalizeEmails(db: Kysely<any>): Promise<void> {
  const rows = await sql<{ id: string; email: string; email_normalized: string }>`
    select id, email, email_normalized from users where email is not null`.execute(db);
  for (const { id, email, email_normalized: key } of rows.rows) {
    const canonical = canonicalEmail(email);
    if (canonical === null || canonical.toLowerCase() === key) continue;
    const next = canonical.toLowerCase();
    const taken = await sql<{ id: string }>`select id from users where email_normalized = ${next} and id <> ${id}`.execute(db);
    if (taken.rows.length > 0) continue;
    await sql`update users set email = ${canonical}, email_normalized = ${next} where id = ${id}`.execute(db);
  }
}

interface SchemaEntry {
  readonly type: string;
  readonly name: string;
  readonly tbl_name: string;
  readonly sql: string | null;
}

/** Rebuilds `users` from `change(its CREATE TABLE)`, with its indexes and every table (and index) that references it. */
async function rebuildSqliteUsers(db: Kysely<any>, change: (definition: string) => string): Promise<void> {
  const schema = (await sql<SchemaEntry>`select type, name, tbl_name, sql from sqlite_master`.execute(db)).rows;
  const users = schema.find((e) => e.type === 'table' && e.name === 'users');
  if (users?.sql == null) throw new Error('optional-email: no users table');
  const children = schema.filter((e) => e.type === 'table' && e.name !== 'users' && /references "users"/i.test(e.sql ?? ''));
  const tables = [...children, users];
  const extras = schema.filter(
    (e) => (e.type === 'index' || e.type === 'trigger') && e.sql !== null && tables.some((t) => t.name === e.tbl_name),
  );
  const aside = (name: string) => sql.id(`gatehouse_rebuild_${name}`);
  for (const table of tables) {
    await sql`create temp table ${aside(table.name)} as select * from ${sql.id(table.name)}`.execute(db);
    await sql`drop table ${sql.id(table.name)}`.execute(db);
  }
  for (const table of [users, ...children]) {
    await sql.raw(table === users ? change(users.sql) : (table.sql as string)).execute(db);
    await sql`insert into ${sql.id(table.name)} select * from ${aside(table.name)}`.execute(db);
    await sql`drop table ${aside(table.name)}`.execute(db);
  }
  for (const extra of extras) await sql.raw(extra.sql as string).execute(db);
}
