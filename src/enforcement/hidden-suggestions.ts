// "Did you mean …?" without what the caller may not see. graphql-js suggests names from the whole
// schema; this keeps a suggested name only when the caller's visible schema (visible-schema.ts) has
// it where it was suggested: a field of that type, an argument of a visible field, a visible type,
// an input field of a visible input type, a value of a visible enum. A message whose wording is not
// one of those below loses every suggestion, so a new wording can never leak one. Pure.
import { type GraphQLSchema, isEnumType, isInputObjectType, isInterfaceType, isObjectType } from 'graphql';

const DID_YOU_MEAN = ' Did you mean ';

/** Decides, from the statement before "Did you mean", which suggested names the caller may see. */
type Rule = (match: RegExpMatchArray, visible: GraphQLSchema) => (name: string) => boolean;

const fieldsOf = (schema: GraphQLSchema, typeName: string | undefined): Readonly<Record<string, unknown>> => {
  const type = typeName === undefined ? undefined : schema.getType(typeName);
  return isObjectType(type) || isInterfaceType(type) || isInputObjectType(type) ? type.getFields() : {};
};

const visibleType: Rule = (_match, visible) => (name) => visible.getType(name) !== undefined;

/** graphql 16's wordings that carry suggestions (the statement's end), with what each suggests. */
const RULES: readonly { readonly statement: RegExp; readonly lead: string; readonly allowed: Rule }[] = [
  // FieldsOnCorrectTypeRule: types of an abstract type that have the field.
  { statement: /Cannot query field "[^"]*" on type "[^"]*"\.$/, lead: 'to use an inline fragment on ', allowed: visibleType },
  // FieldsOnCorrectTypeRule: fields of the type.
  {
    statement: /Cannot query field "[^"]*" on type "([^"]*)"\.$/,
    lead: '',
    allowed: (match, visible) => {
      const fields = fieldsOf(visible, match[1]);
      return (name) => Object.hasOwn(fields, name);
    },
  },
  // KnownArgumentNamesRule: arguments of a field (shown only when the field is).
  {
    statement: /Unknown argument "[^"]*" on field "([^".]*)\.([^"]*)"\.$/,
    lead: '',
    allowed: (match, visible) => {
      const shown = Object.hasOwn(fieldsOf(visible, match[1]), match[2] as string);
      return () => shown;
    },
  },
  // KnownArgumentNamesRule on a directive: directives are never hidden.
  {
    statement: /Unknown argument "[^"]*" on directive "@([^"]*)"\.$/,
    lead: '',
    allowed: (match, visible) => () => visible.getDirective(match[1] as string) !== undefined,
  },
  // KnownTypeNamesRule.
  { statement: /Unknown type "[^"]*"\.$/, lead: '', allowed: visibleType },
  // ValuesOfCorrectTypeRule and variable coercion: fields of an input type.
  {
    statement: /Field "[^"]*" is not defined by type "([^"]*)"\.$/,
    lead: '',
    allowed: (match, visible) => {
      const fields = fieldsOf(visible, match[1]);
      return (name) => Object.hasOwn(fields, name);
    },
  },
  // An enum's parseLiteral / coercion: values of the enum.
  {
    statement: /Value "[^"]*" does not exist in "([^"]*)" enum\.$/,
    lead: 'the enum value ',
    allowed: (match, visible) => {
      const type = visible.getType(match[1] as string);
      return (name) => isEnumType(type) && type.getValue(name) !== undefined;
    },
  },
];

/** graphql's list wording: "A", "A" or "B", "A", "B", or "C". */
function didYouMean(lead: string, names: readonly string[]): string {
  const quoted = names.map((name) => `"${name}"`);
  const list =
    quoted.length === 1
      ? quoted[0]
      : quoted.length === 2
        ? `${quoted[0]} or ${quoted[1]}`
        : `${quoted.slice(0, -1).join(', ')}, or ${quoted.at(-1)}`;
  return `${DID_YOU_MEAN}${lead}${list}?`;
}

/** True when `message` ends in a "Did you mean …?" suggestion. */
export function hasSuggestion(message: string): boolean {
  return message.includes(DID_YOU_MEAN);
}

/**
 * `message` with its "Did you mean …?" keeping only names `visible` shows where they were suggested;
 * with none left (or a wording not known here), the message ends at its statement.
 */
export function withoutHiddenSuggestions(message: string, visible: GraphQLSchema): string {
  const at = message.lastIndexOf(DID_YOU_MEAN);
  if (at === -1) return message;
  const statement = message.slice(0, at);
  const suggestion = message.slice(at + DID_YOU_MEAN.length);
  for (const rule of RULES) {
    const match = statement.match(rule.statement);
    if (match === null || !suggestion.startsWith(rule.lead)) continue;
    const allowed = rule.allowed(match, visible);
    const kept = [...suggestion.slice(rule.lead.length).matchAll(/"([^"]*)"/g)].map((m) => m[1] as string).filter(allowed);
    return kept.length === 0 ? statement : statement + didYouMean(rule.lead, kept);
  }
  return statement;
}
