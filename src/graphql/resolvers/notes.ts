import { internalError } from '../../errors';
import * as notes from '../../services/notes';
import type { Resolvers } from '../generated/resolvers-types';
import { signedIn } from './viewer';

export const noteResolvers: Resolvers = {
  Query: {
    notes: (_parent, args, context) => notes.listNotes(context.app, context.viewer, args),
    note: (_parent, args, context) => notes.getNote(context.app, context.viewer, args.id),
  },
  Mutation: {
    createNote: (_parent, args, context) => notes.createNote(context.app, signedIn(context), args),
    deleteNote: (_parent, args, context) => notes.deleteNote(context.app, signedIn(context), args.id),
  },
  Note: {
    author: async (note, _args, context) => {
      const author = await context.loaders.userById.load(note.authorId);
      // The foreign key makes this impossible; if it happens, it is our bug, not the caller's.
      if (author === null) throw internalError(context.requestId);
      return author;
    },
  },
};
