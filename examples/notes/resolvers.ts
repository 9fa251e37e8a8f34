// The notes domain: the resolvers and the loader the schema's ownership rules use. Who may read one
// note and who may delete it are declared in schema.graphql (@owner), not here; `notes` lists only
// rows the caller may read (the store's filter). Uses only gatehouse's public API: the viewer and
// database from the context, its error factories and its role check.
import { randomUUID } from 'node:crypto';
import {
  badUserInput,
  type EventView,
  type GatehouseContext,
  hasRole,
  notFound,
  organizationRoleOf,
  rateLimited,
  unauthenticated,
  type Viewer,
} from 'gatehouse';
import * as store from './store';
import type { NoteRecord, NotesDb, Position, Visibility } from './store';

/** The event createNote publishes (the new note's id). */
export const NOTE_ADDED = 'noteAdded';

export const LIMITS = Object.freeze({ titleMax: 200, bodyMax: 20_000, pageMax: 100 });

/**
 * Notes one account may create per window. Every note is an event every `noteAdded` subscriber's
 * server work answers to (once per event and distinct viewer, see noteAddedView), so an
 * application bounds the writes that publish, per account, as it bounds anything a signed-in
 * caller can repeat: count what the account wrote in the window, in the table it writes (an index
 * on (author_id, created_at) makes that one index range), and refuse with RATE_LIMITED and
 * Retry-After beyond it. Concurrent requests of one account can each pass the count, so the bound
 * holds to within the account's requests in flight; where that matters, decide inside one
 * statement or under a lock, as gatehouse's own repositories do.
 */
export const CREATE_LIMIT = Object.freeze({ perAccount: 30, windowSeconds: 60 });

/**
 * May this viewer read this note? PUBLIC notes to anyone, PRIVATE ones to the author and ADMINs: the
 * rule `note(id)`'s @owner declares, for code that filters notes outside a resolver's field.
 */
export function canRead(viewer: Viewer | null, note: NoteRecord): boolean {
  return note.visibility === 'PUBLIC' || (viewer !== null && (viewer.id === note.authorId || hasRole(viewer, 'ADMIN')));
}

function length(value: string): number {
  let n = 0;
  for (const _ of value) n++;
  return n;
}

/**
 * Characters a note may not hold, as gatehouse refuses them in its own text inputs: the C0 and C1
 * controls (terminal escapes, forged lines) and bidirectional overrides; PostgreSQL cannot store NUL.
 * A body (free text) keeps line breaks and tabs; a title is one line.
 */
const FORBIDDEN_IN_LINE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;
const FORBIDDEN_IN_FREE_TEXT = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/u;

function requiredText(raw: string, max: number, argument: string, trim = true): string {
  const value = trim ? raw.trim() : raw;
  if ((trim ? FORBIDDEN_IN_LINE : FORBIDDEN_IN_FREE_TEXT).test(value)) {
    const allowed = trim ? 'control characters (line breaks, tabs, NUL, escapes)' : 'control characters other than line breaks and tabs';
    throw badUserInput(`${argument} must not contain ${allowed} or bidirectional overrides.`, argument);
  }
  if (value.trim() === '') throw badUserInput(`${argument} must not be empty.`, argument);
  if (length(value) > max) throw badUserInput(`${argument} must have at most ${max} characters.`, argument);
  return value;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function validId(raw: string, argument = 'id'): string {
  if (!UUID.test(raw)) throw badUserInput(`${argument} is not a valid id.`, argument);
  return raw.toLowerCase();
}

function validPageSize(first: number | null | undefined, argument = 'first'): number {
  const n = first ?? 20;
  if (!Number.isInteger(n) || n < 1 || n > LIMITS.pageMax)
    throw badUserInput(`${argument} must be between 1 and ${LIMITS.pageMax}.`, argument);
  return n;
}

/**
 * Cursors are opaque to clients: base64url of `<ISO time>|<id>`. The same shape as gatehouse's own
 * lists, written here because an application owns its cursors (their format is its API, not
 * gatehouse's) and gatehouse's pagination helpers are not part of its public API.
 */
function encodeCursor(position: Position): string {
  return Buffer.from(`${position.createdAt.toISOString()}|${position.id}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string | null | undefined, argument = 'after'): Position | null {
  if (cursor === null || cursor === undefined) return null;
  const invalid = () => badUserInput(`${argument} is not a cursor from this list.`, argument);
  if (cursor.length > 200 || !/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  const [at, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split('|');
  const createdAt = new Date(at ?? '');
  if (rest.length > 0 || id === undefined || id === '' || Number.isNaN(createdAt.getTime()) || createdAt.toISOString() !== at)
    throw invalid();
  return { createdAt, id };
}

function signedIn(context: GatehouseContext): Viewer {
  // @auth has already refused anonymous callers; this narrows the type.
  if (context.viewer === null) throw unauthenticated();
  return context.viewer;
}

const db = (context: GatehouseContext) => context.db as NotesDb;

/**
 * How `noteAdded` reads an event, shared by all its subscribers: the note is read once per event
 * (whoever asks), and canRead decided once per distinct viewer. Defined once here, not inside
 * `subscribe`: subscriptions share what uses the same object.
 */
export const noteAddedView: EventView<NoteRecord> = {
  load: async (id, reader) => await store.findNoteById(reader.db as NotesDb, id),
  visibleTo: canRead,
};

/** The topic of one organization's new notes: each organization's subscribers hear only its own. */
export const organizationNoteTopic = (organizationId: string) => `organizationNoteAdded.${organizationId.toLowerCase()}`;

/**
 * How `organizationNoteAdded` reads an event: the organization's note, seen by its members only
 * (the root field's @inOrganization has let only members subscribe, and ends a subscription whose
 * subscriber is removed; this holds for each event as well).
 */
export const organizationNoteAddedView: EventView<NoteRecord> = {
  load: async (id, reader) => {
    const [note] = await store.findNotesOfAnyOrganization(reader.db as NotesDb, [id]);
    return note;
  },
  visibleTo: (viewer, note) => note.organizationId !== null && organizationRoleOf(viewer, note.organizationId) !== undefined,
};

/** One page of notes as a NoteConnection. */
function page(rows: readonly NoteRecord[], limit: number, totalCount: number) {
  const edges = rows.slice(0, limit).map((node) => ({ cursor: encodeCursor(node), node }));
  return { edges, pageInfo: { hasNextPage: rows.length > limit, endCursor: edges.at(-1)?.cursor ?? null }, totalCount };
}

export interface NotesArgs {
  first?: number | null;
  after?: string | null;
}

export const resolvers = {
  Query: {
    async notes(_parent: unknown, args: NotesArgs, context: GatehouseContext) {
      const limit = validPageSize(args.first);
      const after = decodeCursor(args.after);
      const readerId = context.viewer?.id ?? null;
      const [rows, totalCount] = await Promise.all([
        store.listVisibleNotes(db(context), readerId, limit + 1, after),
        store.countVisibleNotes(db(context), readerId),
      ]);
      return page(rows, limit, totalCount);
    },
    /** The note, null when there is none. Another's PRIVATE note never gets here: the schema's @owner refuses it. */
    async note(_parent: unknown, args: { id: string }, context: GatehouseContext) {
      return (await store.findNoteById(db(context), validId(args.id))) ?? null;
    },
  },
  Mutation: {
    async createNote(
      _parent: unknown,
      args: { title: string; body: string; visibility?: Visibility | null; authorId?: string | null },
      context: GatehouseContext,
    ) {
      const viewer = signedIn(context);
      // Only an ADMIN may supply authorId: the schema says so on the argument (@hasRole), before this runs.
      const authorId = args.authorId === undefined || args.authorId === null ? viewer.id : validId(args.authorId, 'authorId');
      if (authorId !== viewer.id && (await context.loadUser(authorId)) === null) throw badUserInput('authorId names no user.', 'authorId');
      const since = new Date(context.now().getTime() - CREATE_LIMIT.windowSeconds * 1000);
      if ((await store.countNotesBy(db(context), viewer.id, since)) >= CREATE_LIMIT.perAccount) {
        throw rateLimited(CREATE_LIMIT.windowSeconds, 'notes created');
      }
      const note = await store.insertNote(db(context), {
        id: randomUUID(),
        authorId,
        title: requiredText(args.title, LIMITS.titleMax, 'title'),
        body: requiredText(args.body, LIMITS.bodyMax, 'body', false),
        visibility: args.visibility ?? 'PRIVATE',
        now: context.now(),
      });
      // The id only: each subscriber reads the note under its own rules (noteAdded below).
      await context.events.publish(NOTE_ADDED, note.id);
      return note;
    },
    /** The schema's @inOrganization has let only a member of the organization get here. */
    async createOrganizationNote(
      _parent: unknown,
      args: { organizationId: string; title: string; body: string },
      context: GatehouseContext,
    ) {
      const viewer = signedIn(context);
      const organizationId = validId(args.organizationId, 'organizationId');
      const note = await store.insertNote(db(context), {
        id: randomUUID(),
        authorId: viewer.id,
        title: requiredText(args.title, LIMITS.titleMax, 'title'),
        body: requiredText(args.body, LIMITS.bodyMax, 'body', false),
        visibility: 'PRIVATE',
        now: context.now(),
        organizationId,
      });
      await context.events.publish(organizationNoteTopic(organizationId), note.id);
      return note;
    },
    /** The schema's @owner has let only the author, a MODERATOR or an ADMIN get here. */
    async deleteNote(_parent: unknown, args: { id: string }, context: GatehouseContext) {
      const note = await store.findNoteById(db(context), validId(args.id));
      if (note === undefined) throw notFound('Note');
      return store.deleteNote(db(context), note.id);
    },
  },
  Subscription: {
    noteAdded: {
      /** Every subscriber shares noteAddedView: one read of the note per event, one decision per distinct viewer. */
      subscribe: (_parent: unknown, _args: unknown, context: GatehouseContext) => context.events.subscribe(NOTE_ADDED, noteAddedView),
      resolve: (note: NoteRecord) => note,
    },
    organizationNoteAdded: {
      subscribe: (_parent: unknown, args: { organizationId: string }, context: GatehouseContext) =>
        context.events.subscribe(organizationNoteTopic(validId(args.organizationId, 'organizationId')), organizationNoteAddedView),
      resolve: (note: NoteRecord) => note,
    },
  },
  Organization: {
    /** The schema's @inOrganization(field: "id") has let only members of this organization get here. */
    async notes(organization: { id: string }, args: NotesArgs, context: GatehouseContext) {
      const limit = validPageSize(args.first);
      const after = decodeCursor(args.after);
      const [rows, totalCount] = await Promise.all([
        store.listOrganizationNotes(db(context), organization.id, limit + 1, after),
        store.countOrganizationNotes(db(context), organization.id),
      ]);
      return page(rows, limit, totalCount);
    },
  },
  Note: {
    async author(note: NoteRecord, _args: unknown, context: GatehouseContext) {
      const author = await context.loadUser(note.authorId);
      // The foreign key makes this impossible; if it happens it is a bug, and gatehouse masks it as
      // INTERNAL_SERVER_ERROR with the request id.
      if (author === null) throw new Error(`note ${note.id} has no author ${note.authorId}`);
      return author;
    },
  },
};

/**
 * Notes by id for `@owner(loads: "Note")` (deleteNote): one query per batch. An id that is not a
 * UUID names no note; the resolver then refuses it as BAD_USER_INPUT.
 */
export const loaders = {
  async Note(ids: readonly string[], context: unknown): Promise<(NoteRecord | null)[]> {
    const valid = ids.filter((id) => UUID.test(id)).map((id) => id.toLowerCase());
    const found = new Map((await store.findNotesByIds(db(context as GatehouseContext), valid)).map((note) => [note.id, note]));
    return ids.map((id) => found.get(id.toLowerCase()) ?? null);
  },
};
