// gatehouse explain --schema S --as ROLE[,ROLE] [--via api-key|jwt|external] [--scopes a,b] 'QUERY'
// What gatehouse would decide for that caller on each field the document selects, without running
// anything: `allow`, `deny (the rule)` or `depends (ownership …)`. The decisions are the server's
// own (src/tools/explain.ts); a document that does not parse or validate is reported, exit 1.
import { type DocumentNode, GraphQLError, parse } from 'graphql';
import type { RoleCatalog } from '../auth/role-catalog';
import { declaredRoles } from '../enforcement/declared-roles';
import type { CredentialKind, Viewer } from '../auth/viewer';
import { buildSourceSchema } from '../graphql/schema';
import { explainDocument, formatExplanation } from '../tools/explain';
import { readSchemaInputs } from './application-module';
import { printable } from './printable';

export const USAGE = `Usage: gatehouse explain [--schema PATH …] --as ROLE[,ROLE] [--via KIND] [--scopes A,B] 'QUERY'

Prints, for one caller, one line per field the document selects: its path, its coordinate and the
verdict, without running anything:
  allow                  the caller may read it
  deny (RULE)            refused, and by which rule (e.g. @hasRole(role: ADMIN) on Query.users)
  depends (ownership)    decided on the object (or the request's data) when it runs
A rule beside @reportOnly that would refuse the caller is added: "; report only: would deny (RULE)".
Rules on arguments and input fields decide on what the document writes (a variable counts as supplied).
A mutation with any denied field is refused whole before it runs.

  --as ROLE[,ROLE]  the caller: anonymous, or roles of the Role enum (USER, ADMIN …)
  --via KIND        the credential: jwt (default), api-key or external
  --scopes A,B      the scopes the credential holds (default: every scope, as a gatehouse session)
  --schema PATH     your schema, added to gatehouse's account schema (repeat for several): a .graphql
                    file, a folder of them, or a module exporting typeDefs (as gatehouse start takes it)
Exit 0 when explained; 1 when the schema or the document is refused (the reason printed); 2 on
wrong usage.`;

const KINDS: readonly CredentialKind[] = ['jwt', 'api-key', 'external'];

/** The arguments, or a usage error. */
function parseArguments(argv: readonly string[]): { schemaPaths: string[]; valued: Record<string, string>; query: string } | string {
  const schemaPaths: string[] = [];
  const valued: Record<string, string> = {};
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--schema' || arg === '--as' || arg === '--via' || arg === '--scopes') {
      const value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) return `${arg} needs a value`;
      if (arg === '--schema') schemaPaths.push(value);
      else valued[arg] = value;
      i++;
    } else if (arg.startsWith('--')) {
      return `unknown option ${printable(arg)}`;
    } else {
      positional.push(arg);
    }
  }
  if (valued['--as'] === undefined) return '--as is required (anonymous, or roles such as USER,ADMIN)';
  if (positional.length !== 1) return 'give exactly one document (quote it)';
  return { schemaPaths, valued, query: positional[0] as string };
}

/** The caller `--as`, `--via` and `--scopes` describe, or why they do not. */
function viewerOf(as: string, via: string, scopes: string | undefined, catalog: RoleCatalog): Viewer | null | string {
  const roles = catalog.roles;
  if (!(KINDS as readonly string[]).includes(via)) return `--via must be jwt, api-key or external, got "${printable(via)}"`;
  if (as === 'anonymous') return scopes === undefined ? null : '--scopes needs a signed-in caller (not anonymous)';
  const asked = as.split(',').map((r) => r.trim());
  const unknown = asked.filter((r) => !roles.includes(r));
  if (unknown.length > 0) return `--as: ${printable(unknown.join(', '))} is not anonymous or a role of the Role enum (${roles.join(', ')})`;
  return {
    id: 'explain',
    roles: catalog.expandAll(asked),
    via: via as CredentialKind,
    ...(scopes === undefined
      ? {}
      : {
          scopes: scopes
            .split(',')
            .map((s) => s.trim())
            .filter((s) => s !== ''),
        }),
  };
}

export async function main(argv: readonly string[]): Promise<number> {
  if (argv.includes('--help') || argv.includes('-h')) {
    console.log(USAGE);
    return 0;
  }
  const parsed = parseArguments(argv);
  if (typeof parsed === 'string') {
    console.error(`explain: ${parsed}\n\n${USAGE}`);
    return 2;
  }
  let schema: ReturnType<typeof buildSourceSchema>;
  try {
    schema = buildSourceSchema({ typeDefs: await readSchemaInputs(parsed.schemaPaths) });
  } catch (error) {
    console.error(`explain: ${printable(error instanceof Error ? error.message : String(error))}`);
    return 1;
  }
  const viewer = viewerOf(
    parsed.valued['--as'] as string,
    parsed.valued['--via'] ?? 'jwt',
    parsed.valued['--scopes'],
    declaredRoles(schema),
  );
  if (typeof viewer === 'string') {
    console.error(`explain: ${viewer}`);
    return 2;
  }
  let document: DocumentNode;
  try {
    document = parse(parsed.query);
  } catch (error) {
    console.error(`explain: the document does not parse: ${printable(error instanceof GraphQLError ? error.message : String(error))}`);
    return 1;
  }
  const explanation = explainDocument(schema, document, viewer);
  if (!explanation.ok) {
    console.error('explain: the document is not valid against the schema:');
    for (const message of explanation.errors) console.error(`  ${printable(message)}`);
    return 1;
  }
  console.log(formatExplanation(explanation.fields));
  return 0;
}
