import type { Migration } from 'kysely';
import type { Dialect } from '../schema';

/** Sign-ups are throttled per client address by counting recent `user.signed_up` events. */
export const auditAddressIndex = (_dialect: Dialect): Migration => ({
  async up(db) {
    await db.schema.createIndex('audit_events_address_action').on('audit_events').columns(['address', 'action', 'occurred_at']).execute();
  },
  async down(db) {
    await db.schema.dropIndex('audit_events_address_action').ifExists().execute();
  },
});
