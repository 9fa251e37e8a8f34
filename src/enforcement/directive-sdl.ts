// The SDL of gatehouse's directives (@public, @auth, @hasRole, @requiresScopes, @credentials,
// @owner, @inOrganization, @policy, @fromViewer, @includes for the roles' enums, and @reportOnly,
// which turns the rules after it into reports) and the CredentialKind enum they use. What each one
// demands is read in requirements.ts (on arguments and input fields: argument-rules.ts;
// organizations: organizations.ts; policies: policies.ts), decided in checks.ts and enforced in
// apply-directives.ts.
/**
 * The SDL of gatehouse's directives. Add it to your type definitions; the `Role` enum is yours
 * (declare it with `@includes`, e.g. `enum Role { USER ADMIN @includes(roles: [USER]) }`).
 */
export const authDirectiveTypeDefs = /* GraphQL */ `
  """
  Only a signed-in caller (a gatehouse JWT, an API key or a provider's token) may read this field, or every field of this type. On an argument or input field: only such a
  caller may supply it (a default alone does not count).
  """
  directive @auth on OBJECT | FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION

  """
  Only a caller holding this role (or, with anyOf, one of these roles), or a role that includes it,
  may read this field, or every field of this type. Give exactly one of role and anyOf. The roles
  are the application's \`enum Role\` (ADMIN holds every one). On an argument or input field: only
  such a caller may supply it.
  """
  directive @hasRole(role: Role, anyOf: [Role!]) on OBJECT | FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION

  """
  On a value of the \`Role\` or \`OrganizationRole\` enum: holding this role also holds the roles listed
  (values of the same enum), and what they include in turn, e.g. \`ADMIN @includes(roles: [MODERATOR])\`.
  """
  directive @includes(roles: [String!]!) on ENUM_VALUE

  """
  Anyone may read this field, signed in or not. On a field it opens that field even inside a
  protected type; on a type it only states the type is public.
  """
  directive @public on OBJECT | FIELD_DEFINITION

  """
  The caller's credential must hold every scope of at least one inner list (an OR of AND lists):
  [["notes:read"], ["notes:admin"]] is notes:read or notes:admin. Implies a signed-in caller.
  gatehouse's own sessions hold every scope; an API key holds the scopes it was made with; an
  external token holds its token's scopes. On an argument or input field: only such a credential may
  supply it.
  """
  directive @requiresScopes(scopes: [[String!]!]!) on OBJECT | FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION

  """
  Only these kinds of credential may reach this field, or every field of this type. Implies a
  signed-in caller. gatehouse's own fields that mint or revoke keys, change roles or end sessions
  allow JWT and EXTERNAL only, so a leaked API key cannot extend itself. On an argument or input
  field: only these kinds may supply it.
  """
  directive @credentials(allow: [CredentialKind!]!) on OBJECT | FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION

  "How the caller proved who they are (Viewer.via)."
  enum CredentialKind {
    "An access token from gatehouse's login (via 'jwt')."
    JWT
    "An X-API-Key (via 'api-key')."
    API_KEY
    "A token from a configured identity provider (via 'external')."
    EXTERNAL
  }

  """
  Only the owner of the object, or a caller holding orRole, may use this field. On an object's field,
  the object is the parent and \`field\` names its property holding the owner's user id (no extra
  query). On a root field, \`loads\` names the type of the object whose id is in argument
  \`idArgument\`, loaded with the application's loader for that type before anything runs.
  With \`openWhen\` and \`openValue\`, objects whose \`openWhen\` property equals \`openValue\` are open to
  anyone (openWhen: "visibility", openValue: "PUBLIC").
  """
  directive @owner(
    field: String!
    orRole: Role
    loads: String
    idArgument: String! = "id"
    openWhen: String
    openValue: String
  ) on FIELD_DEFINITION

  """
  The value comes from the caller's credential, never from the client: the resolver receives it,
  introspection does not show it, and a request that supplies it is refused (BAD_USER_INPUT).
  Paths: id, email, roles, scopes, organizationIds, claims.<name> (a claim of an external token).
  A non-null one whose value the caller lacks gives UNAUTHENTICATED.
  """
  directive @fromViewer(path: String!) on ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION

  """
  Only a member of the organization holding \`role\` there (or a role that includes it), or a caller
  holding the global \`orRole\`, may use this field, or every field of this type. On an object, its
  property \`field\` holds its organization's id (no extra query). With \`argument\`, the field's
  argument of that name holds it; on a root field that is decided before anything runs. No global
  role passes unless it is \`orRole\`: an ADMIN is not a member of every organization.
  """
  directive @inOrganization(
    role: OrganizationRole! = MEMBER
    field: String! = "organizationId"
    argument: String
    orRole: Role
  ) on OBJECT | FIELD_DEFINITION

  """
  Named rules written in code (the application's \`policies\`): passes when every policy of at least one
  inner list returns true (an OR of AND lists, the shape of Apollo Federation's @policy). On an
  object's field the policy gets the object; on a root field the arguments (a mutation's are decided
  before anything runs). A policy runs at most once per object in a request; one that throws denies.
  """
  directive @policy(policies: [[String!]!]!) on OBJECT | FIELD_DEFINITION

  """
  The rules written after this one, on the same type, field, argument or input field, are evaluated
  but not enforced: each request they would refuse is logged ("would deny", with the rule,
  coordinate, caller kind and request id) and counted in gatehouse_report_only_denials_total, and is
  answered as if they were not there. On an argument or input field, a request is reported when it
  supplies a value (a default alone does not count). Strict mode does not count them. Add a
  stricter rule with @reportOnly, watch the counter, then drop @reportOnly. Not beside @fromViewer.
  """
  directive @reportOnly on OBJECT | FIELD_DEFINITION | ARGUMENT_DEFINITION | INPUT_FIELD_DEFINITION
`;
