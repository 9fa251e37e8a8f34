// A test-only root subscription with @owner(loads: …), `noteWatch(id)`: subscribing loads the note
// through the notes example's store, and each `noteWatch` event with that id delivers it again.
import * as notesStore from '../../examples/notes/store';

export const NOTE_WATCH = 'subscription ($id: ID!) { noteWatch(id: $id) { id title } }';

/** The field, to go inside an `extend type Subscription { … }` of the test's own schema part. */
export const NOTE_WATCH_FIELD = /* GraphQL */ `
      noteWatch(id: ID!): Note
        @public
        @owner(loads: "Note", field: "authorId", orRole: ADMIN, openWhen: "visibility", openValue: "PUBLIC")
`;

/** Its resolver, to go under `Subscription`. */
export const noteWatch = {
  subscribe: (_p: unknown, args: { id: string }, context: any) =>
    context.events.subscribe('noteWatch', async (id: string) =>
      id === args.id ? await notesStore.findNoteById(context.db, id) : undefined,
    ),
  resolve: (note: unknown) => note,
};
