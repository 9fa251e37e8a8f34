// Tooling: what a schema change does to who reaches what, from two auth maps (`gatehouse auth-map
// --json` before, and after). Pure: it reads the maps' JSON shape (src/tools/auth-map.ts) and decides
// nothing about enforcement.
//
// A caller is one the map names: `anonymous` or a role of the Role enum. For each field and caller it
// compares, in this order:
// - whether the caller reaches the field at all (a new field reached by someone is a gain, a removed
//   one a loss), and if so on which objects: any, only its own (`@owner`), or its own and the open
//   ones (`openWhen`);
// - the owner rule's property (`@owner(field:)`): a different property lets other people through, so
//   it is both a gain and a loss; so is a different argument naming the object a root field loads
//   (`idArgument`): the rule then checks another object than before;
// - the credential kinds allowed (`@credentials`), for signed-in callers;
// - the scopes required (`@requiresScopes`): wider when some scope set is accepted now that was not
//   before (a new alternative is not a superset of an old one), narrower the other way round;
// - membership (`@inOrganization`): reaching objects of any organization instead of its own only is
//   a gain, and so is an organization role that passes now and did not (the map's `heldBy`);
// - policies (`@policy`): names of code the map cannot read, so each name is taken as an unknown
//   condition. The new rules gain objects unless they imply the old ones (every AND list of theirs
//   contains one of the old), and lose objects unless the old imply the new: an added policy or a
//   removed alternative only narrows, a dropped policy or a new alternative only widens, a renamed
//   one does both.
// Any gain widens access: the CLI exits 1 on it unless told `--allow-widening`.
import type { AuthMap, AuthMapEntry } from './auth-map';

/** One change of access for one caller on one field. */
export interface AccessChange {
  readonly direction: 'gains' | 'loses';
  /** What is gained or lost, e.g. `the field`, `via API_KEY`, `any object (was: only its own)`. */
  readonly what: string;
}

/** Every change on one field, per caller. */
export interface FieldAccessDiff {
  readonly coordinate: string;
  /** The field's requirement before and after (`requires` of the map); null: not in that map. */
  readonly before: string | null;
  readonly after: string | null;
  readonly callers: readonly { readonly caller: string; readonly changes: readonly AccessChange[] }[];
}

export interface AuthMapDiff {
  /** Fields whose access changed for some caller, in the order of the new map, then removed fields. */
  readonly fields: readonly FieldAccessDiff[];
  /**
   * Fields whose `@reportOnly` rules changed (added, removed, or made enforced): they change no
   * access (an enforced one shows in `fields` as a loss) but say what is being tried.
   */
  readonly reportOnly: readonly { readonly coordinate: string; readonly before: string | null; readonly after: string | null }[];
  /** True when any caller gains anything. */
  readonly widens: boolean;
}

/** The file is not the JSON `gatehouse auth-map --json` prints. */
export class AuthMapFormatError extends Error {
  override readonly name = 'AuthMapFormatError';
  readonly code = 'NOT_AN_AUTH_MAP';
}

const KINDS = ['JWT', 'API_KEY', 'EXTERNAL'] as const;

const isStringList = (value: unknown): value is string[] => Array.isArray(value) && value.every((v) => typeof v === 'string');

/** Checks that `text` is an auth map's JSON, naming the first thing that is not. */
export function parseAuthMapJson(text: string, name: string): AuthMap {
  const fail = (why: string): never => {
    throw new AuthMapFormatError(`${name} is not an auth map (the output of gatehouse auth-map --json): ${why}`);
  };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return fail(`not JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof parsed !== 'object' || parsed === null || !Array.isArray((parsed as { entries?: unknown }).entries)) {
    return fail('no "entries" list');
  }
  const entries = (parsed as { entries: unknown[] }).entries;
  for (const [index, entry] of entries.entries()) {
    const at = `entries[${index}]`;
    if (typeof entry !== 'object' || entry === null) fail(`${at} is not an object`);
    const e = entry as Record<string, unknown>;
    if (typeof e['coordinate'] !== 'string' || !/^\w+\.\w+(\(\w+(\.\w+)*\))?$/.test(e['coordinate']))
      fail(`${at}.coordinate is not Type.field or Type.field(argument.path)`);
    if (typeof e['requires'] !== 'string') fail(`${at}.requires is not a string`);
    if (!isStringList(e['reachableBy'])) fail(`${at}.reachableBy is not a list of strings`);
    if (e['credentials'] !== undefined && !isStringList(e['credentials'])) fail(`${at}.credentials is not a list of strings`);
    if (e['scopes'] !== undefined && !(Array.isArray(e['scopes']) && e['scopes'].every(isStringList))) {
      fail(`${at}.scopes is not a list of lists of strings`);
    }
    if (e['owner'] !== undefined && (typeof e['owner'] !== 'object' || typeof (e['owner'] as { field?: unknown }).field !== 'string')) {
      fail(`${at}.owner has no field`);
    }
  }
  return parsed as AuthMap;
}

/**
 * On which objects a caller reaches a field, policies aside (compared on their own, below): none,
 * only its own (`@owner`), only the open ones (an anonymous caller on an `@owner(openWhen: …)`
 * field, `(only visibility PUBLIC)`), its own and the open ones, or any. Compared as sets of kinds
 * of object, so a change from "own" to "open" both gains and loses.
 */
type Reach = 'none' | 'own' | 'open' | 'own-or-open' | 'any';
const REACH_KINDS: Readonly<Record<Reach, readonly string[]>> = {
  none: [],
  own: ['own'],
  open: ['open'],
  'own-or-open': ['own', 'open'],
  any: ['own', 'open', 'other'],
};
const REACH_TEXT: Readonly<Record<Reach, string>> = {
  none: 'no object',
  own: 'only its own objects',
  open: 'only the open objects',
  'own-or-open': 'its own and the open objects',
  any: 'any object',
};

/** The caller's label in the map without its policy part (`USER (owner, policy)` → `USER (owner)`, `USER (policy)` → `USER`). */
function labelOf(entry: AuthMapEntry | undefined, caller: string): string | undefined {
  const label = entry?.reachableBy.find((name) => name === caller || name.startsWith(`${caller} (`));
  return label?.replace(/ \(policy\)$/, '').replace(/, policy\)$/, ')');
}

function reachOf(entry: AuthMapEntry | undefined, caller: string): Reach {
  const label = labelOf(entry, caller);
  if (label === undefined) return 'none';
  if (label === caller) return 'any';
  if (label.startsWith(`${caller} (only `)) return 'open';
  // `USER (owner)`, `USER (owner, or visibility PUBLIC)`, `USER (member)`, `USER (owner; member)`.
  if (!label.includes('(owner')) return 'any';
  return label.includes(', or ') ? 'own-or-open' : 'own';
}

type PolicyRules = NonNullable<AuthMapEntry['policies']>;

/** Every rule (each an OR of AND lists) must pass: as one OR of AND lists, each a set of names. */
function policyAlternatives(rules: PolicyRules): Set<string>[] {
  let alternatives: Set<string>[] = [new Set()];
  for (const rule of rules) alternatives = alternatives.flatMap((held) => rule.map((group) => new Set([...held, ...group])));
  return alternatives;
}

/** Whether every object `stronger` allows, `weaker` allows too, whatever each named policy decides. */
function policiesImply(stronger: PolicyRules, weaker: PolicyRules): boolean {
  const weakerAlternatives = policyAlternatives(weaker);
  return policyAlternatives(stronger).every((held) => weakerAlternatives.some((needed) => [...needed].every((name) => held.has(name))));
}

const policyText = (rules: PolicyRules): string =>
  rules.length === 0 ? 'no policy' : rules.map((rule) => `policy ${rule.map((group) => group.join(' and ')).join(' or ')}`).join('; ');

/** Policy changes for a caller reaching the field in both maps. */
function policyChanges(before: AuthMapEntry, after: AuthMapEntry): AccessChange[] {
  const was = before.policies ?? [];
  const now = after.policies ?? [];
  const changes: AccessChange[] = [];
  if (!policiesImply(now, was)) changes.push({ direction: 'gains', what: `what ${policyText(was)} refused (now: ${policyText(now)})` });
  if (!policiesImply(was, now)) changes.push({ direction: 'loses', what: `what ${policyText(now)} refuses (was: ${policyText(was)})` });
  return changes;
}

/**
 * The organization roles a caller reaching the field only as a member must hold one of (the map's
 * `organization[].heldBy`, every rule), or null when membership is not asked of it.
 */
function memberRolesOf(entry: AuthMapEntry | undefined, caller: string): readonly (readonly string[])[] | null {
  const label = labelOf(entry, caller);
  if (label === undefined || !/member\)$/.test(label)) return null;
  return (entry?.organization ?? []).map((rule) => rule.heldBy);
}

/** Membership changes for a caller reaching the field in both maps: fewer organization roles asked is a gain. */
function membershipChanges(caller: string, before: AuthMapEntry, after: AuthMapEntry): AccessChange[] {
  const was = memberRolesOf(before, caller);
  const now = memberRolesOf(after, caller);
  if (was === null && now === null) return [];
  if (now === null) return [{ direction: 'gains', what: "objects of any organization (was: its organizations' only)" }];
  if (was === null) return [{ direction: 'loses', what: "objects outside its organizations (now: its organizations' only)" }];
  const passes = (rules: readonly (readonly string[])[], role: string) => rules.every((heldBy) => heldBy.includes(role));
  const roles = [...new Set([...was.flat(), ...now.flat()])];
  const gained = roles.filter((role) => passes(now, role) && !passes(was, role));
  const lost = roles.filter((role) => passes(was, role) && !passes(now, role));
  return [
    ...(gained.length > 0 ? [{ direction: 'gains' as const, what: `as ${gained.join(' or ')} of the organization` }] : []),
    ...(lost.length > 0 ? [{ direction: 'loses' as const, what: `as ${lost.join(' or ')} of the organization` }] : []),
  ];
}

/**
 * The callers the maps name, in the maps' order (anonymous, then the Role enum's): each list of
 * `reachableBy` is in that order, so a name not seen yet goes right after the one before it.
 */
function callersOf(...maps: readonly AuthMap[]): string[] {
  const names: string[] = ['anonymous'];
  for (const map of maps) {
    for (const entry of map.entries) {
      let previous = 0; // anonymous stays first
      for (const label of entry.reachableBy) {
        const name = label.replace(/ \(.*$/, '');
        let at = names.indexOf(name);
        if (at === -1) names.splice((at = previous + 1), 0, name);
        previous = at;
      }
    }
  }
  return names;
}

const scopeGroups = (entry: AuthMapEntry): readonly (readonly string[])[] =>
  entry.scopes === undefined || entry.scopes.length === 0 ? [[]] : entry.scopes;

/** The alternatives of `next` that accept a scope set `previous` refused (none ⊆ it). */
function widerScopeGroups(previous: readonly (readonly string[])[], next: readonly (readonly string[])[]): (readonly string[])[] {
  return next.filter((group) => !previous.some((old) => old.every((scope) => group.includes(scope))));
}

const scopeText = (group: readonly string[]): string => (group.length === 0 ? 'no scope' : `scopes ${group.join(' and ')}`);

/** What changed for one caller reaching the field in both maps (reach already compared). */
function detailChanges(caller: string, before: AuthMapEntry, after: AuthMapEntry, reach: Reach): AccessChange[] {
  const changes: AccessChange[] = [];
  if (reach !== 'any' && before.owner && after.owner && before.owner.field !== after.owner.field) {
    const what = `objects whose ${after.owner.field} is its id (was: ${before.owner.field})`;
    changes.push({ direction: 'gains', what }, { direction: 'loses', what: `objects whose ${before.owner.field} is its id` });
  }
  const [argumentBefore, argumentAfter] = [before.owner?.idArgument, after.owner?.idArgument];
  if (reach !== 'any' && argumentBefore !== undefined && argumentAfter !== undefined && argumentBefore !== argumentAfter) {
    const what = `the objects argument ${argumentAfter} names (was: ${argumentBefore})`;
    changes.push({ direction: 'gains', what }, { direction: 'loses', what: `the objects argument ${argumentBefore} names` });
  }
  if (caller === 'anonymous') return changes;
  const kindsBefore = before.credentials ?? KINDS;
  const kindsAfter = after.credentials ?? KINDS;
  for (const kind of kindsAfter) if (!kindsBefore.includes(kind)) changes.push({ direction: 'gains', what: `via ${kind}` });
  for (const kind of kindsBefore) if (!kindsAfter.includes(kind)) changes.push({ direction: 'loses', what: `via ${kind}` });
  for (const group of widerScopeGroups(scopeGroups(before), scopeGroups(after))) {
    changes.push({ direction: 'gains', what: `with ${scopeText(group)}` });
  }
  for (const group of widerScopeGroups(scopeGroups(after), scopeGroups(before))) {
    changes.push({ direction: 'loses', what: `with ${scopeText(group)}` });
  }
  return changes;
}

function callerChanges(caller: string, before: AuthMapEntry | undefined, after: AuthMapEntry | undefined): AccessChange[] {
  const was = reachOf(before, caller);
  const now = reachOf(after, caller);
  if (was === 'none' && now === 'none') return [];
  if (was === 'none') {
    const where = `${now === 'any' ? 'the field' : `the field on ${REACH_TEXT[now]}`}`;
    return [{ direction: 'gains', what: after?.policies ? `${where}, where ${policyText(after.policies)} allows` : where }];
  }
  if (now === 'none') return [{ direction: 'loses', what: 'the field' }];
  const changes: AccessChange[] = [];
  if (REACH_KINDS[now].some((kind) => !REACH_KINDS[was].includes(kind)))
    changes.push({ direction: 'gains', what: `${REACH_TEXT[now]} (was: ${REACH_TEXT[was]})` });
  if (REACH_KINDS[was].some((kind) => !REACH_KINDS[now].includes(kind)))
    changes.push({ direction: 'loses', what: `${REACH_TEXT[was]} (now: ${REACH_TEXT[now]})` });
  return [
    ...changes,
    ...membershipChanges(caller, before as AuthMapEntry, after as AuthMapEntry),
    ...policyChanges(before as AuthMapEntry, after as AuthMapEntry),
    ...detailChanges(caller, before as AuthMapEntry, after as AuthMapEntry, now),
  ];
}

/**
 * An argument without a row in a map where its field has one carries no rule there: whoever reaches
 * the field may supply it. So a rule dropped from an argument is a gain for those callers, and a rule
 * added a loss, not the appearance or removal of a row.
 */
function unruledArgument(coordinate: string, map: ReadonlyMap<string, AuthMapEntry>): AuthMapEntry | undefined {
  const at = coordinate.indexOf('(');
  if (at === -1) return undefined;
  const field = map.get(coordinate.slice(0, at));
  return field === undefined ? undefined : { ...field, coordinate, requires: `${field.requires} (no rule on the argument)` };
}

/**
 * An argument's row as the diff compares it: its own rule and its field's, since both apply to who
 * may supply it (the map's row shows its own rule only). Without the field's kinds, scopes, owner,
 * membership and policies, a row would seem to open what its field closes.
 */
function withFieldRules(entry: AuthMapEntry | undefined, map: ReadonlyMap<string, AuthMapEntry>): AuthMapEntry | undefined {
  const at = entry?.coordinate.indexOf('(') ?? -1;
  const field = at === -1 ? undefined : map.get(entry!.coordinate.slice(0, at));
  if (entry === undefined || field === undefined) return entry;
  const credentials =
    field.credentials && entry.credentials
      ? field.credentials.filter((k) => entry.credentials!.includes(k))
      : (field.credentials ?? entry.credentials);
  const scopes = scopeGroups(field).flatMap((f) => scopeGroups(entry).map((own) => [...new Set([...f, ...own])]));
  const { owner, organization, policies } = field;
  return {
    ...entry,
    ...(credentials === undefined ? {} : { credentials }),
    ...(scopes.some((group) => group.length > 0) ? { scopes } : {}),
    ...(owner === undefined ? {} : { owner }),
    ...(organization === undefined ? {} : { organization }),
    ...(policies === undefined ? {} : { policies }),
  };
}

/** Who gains and who loses access to each field between two auth maps. */
export function diffAuthMaps(before: AuthMap, after: AuthMap): AuthMapDiff {
  const previous = new Map(before.entries.map((e) => [e.coordinate, e]));
  const next = new Map(after.entries.map((e) => [e.coordinate, e]));
  const coordinates = [...next.keys(), ...[...previous.keys()].filter((c) => !next.has(c))];
  const callers = callersOf(before, after);
  const fields: FieldAccessDiff[] = [];
  for (const coordinate of coordinates) {
    const was = withFieldRules(previous.get(coordinate), previous) ?? unruledArgument(coordinate, previous);
    const now = withFieldRules(next.get(coordinate), next) ?? unruledArgument(coordinate, next);
    const perCaller = callers.map((caller) => ({ caller, changes: callerChanges(caller, was, now) })).filter((c) => c.changes.length > 0);
    if (perCaller.length > 0) fields.push({ coordinate, before: was?.requires ?? null, after: now?.requires ?? null, callers: perCaller });
  }
  const widens = fields.some((f) => f.callers.some((c) => c.changes.some((change) => change.direction === 'gains')));
  const reportOnly = coordinates
    .map((coordinate) => ({
      coordinate,
      before: previous.get(coordinate)?.reportOnly ?? null,
      after: next.get(coordinate)?.reportOnly ?? null,
    }))
    .filter((change) => change.before !== change.after);
  return { fields, reportOnly, widens };
}

const countOf = (diff: AuthMapDiff, direction: AccessChange['direction']): number =>
  diff.fields.reduce((n, f) => n + f.callers.filter((c) => c.changes.some((change) => change.direction === direction)).length, 0);

/** The diff as Markdown for a pull-request comment: a summary line, then one row per field and caller. */
export function formatAuthMapDiffMarkdown(diff: AuthMapDiff): string {
  if (diff.fields.length === 0) return `### Auth map: no change of access\n${reportOnlyMarkdown(diff)}`;
  const gains = countOf(diff, 'gains');
  const losses = countOf(diff, 'loses');
  const lines = [
    `### Auth map: ${gains} (field, caller) pair(s) gain access, ${losses} lose access`,
    '',
    diff.widens ? '**This change widens access.**' : 'No caller gains access.',
    '',
    '| field | caller | gains | loses | requires (before → after) |',
    '| --- | --- | --- | --- | --- |',
  ];
  const cell = (changes: readonly AccessChange[], direction: AccessChange['direction']): string =>
    changes
      .filter((c) => c.direction === direction)
      .map((c) => c.what)
      .join('; ');
  for (const field of diff.fields) {
    const requires = `${field.before ?? '(new field)'} → ${field.after ?? '(removed)'}`;
    for (const { caller, changes } of field.callers) {
      lines.push(`| \`${field.coordinate}\` | ${caller} | ${cell(changes, 'gains')} | ${cell(changes, 'loses')} | ${requires} |`);
    }
  }
  return `${lines.join('\n')}\n${reportOnlyMarkdown(diff)}`;
}

/** The report-only rules that changed, as a list after the table (nothing when none did). */
function reportOnlyMarkdown(diff: AuthMapDiff): string {
  if (diff.reportOnly.length === 0) return '';
  const lines = diff.reportOnly.map(
    ({ coordinate, before, after }) => `- \`${coordinate}\`: ${before ?? '(none)'} → ${after ?? '(none: dropped or now enforced)'}`,
  );
  return `\nReport-only rules (they deny nobody; watch gatehouse_report_only_denials_total):\n\n${lines.join('\n')}\n`;
}
