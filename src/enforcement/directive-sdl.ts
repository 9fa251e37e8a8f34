// The SDL of gatehouse's directives (@public, @auth, @hasRole, @requiresScopes, @credentials,
// @owner, and @reportOnly, which turns the rules beside it into reports) and the CredentialKind enum
// they use. What each one demands is read in requirements.ts, decided in checks.ts and enforced in
// apply-directives.ts.
/**
 * The SDL of gatehouse's directives. Add it to your type definitions; the `Role` enum is yours.
 */
export const authDirectiveTypeDefs = /* GraphQL */ `
  """
  Only a signed-in caller (a gatehouse JWT, an API key or a provider's token) may read this field, or every field of this type.
  """
  directive @auth on OBJECT | FIELD_DEFINITION

  """
  Only a caller holding this role, or a role that includes it (ADMIN includes USER), may read this
  field, or every field of this type.
  """
  directive @hasRole(role: Role!) on OBJECT | FIELD_DEFINITION

  """
  Anyone may read this field, signed in or not. On a field it opens that field even inside a
  protected type; on a type it only states the type is public.
  """
  directive @public on OBJECT | FIELD_DEFINITION

  """
  The caller's credential must hold every scope of at least one inner list (an OR of AND lists):
  [["notes:read"], ["notes:admin"]] is notes:read or notes:admin. Implies a signed-in caller.
  gatehouse's own sessions hold every scope; an API key holds the scopes it was made with; an
  external token holds its token's scopes.
  """
  directive @requiresScopes(scopes: [[String!]!]!) on OBJECT | FIELD_DEFINITION

  """
  Only these kinds of credential may reach this field, or every field of this type. Implies a
  signed-in caller. gatehouse's own fields that mint or revoke keys, change roles or end sessions
  allow JWT and EXTERNAL only, so a leaked API key cannot extend itself.
  """
  directive @credentials(allow: [CredentialKind!]!) on OBJECT | FIELD_DEFINITION

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
  The rules written beside this one, on the same type or field, are evaluated but not enforced:
  each request they would refuse is logged ("would deny", with the rule, coordinate, caller kind and
  request id) and counted in gatehouse_report_only_denials_total, and is answered as if they were
  not there. Strict mode does not count them. Add a stricter rule with @reportOnly, watch the
  counter, then drop @reportOnly.
  """
  directive @reportOnly on OBJECT | FIELD_DEFINITION
`;
