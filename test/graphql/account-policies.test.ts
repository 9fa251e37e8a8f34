/*
 * gatehouse's own policies (src/graphql/policies.ts): its `gatehouse.` names are reserved, so an
 * application cannot replace the rules createApiKey's @policy names.
 */
import { buildSchema } from '../../src/graphql/schema';

it('refuses an application policy named in the reserved gatehouse. prefix, naming it', () => {
  expect(() => buildSchema({ policies: { 'gatehouse.apiKeyRoles': () => true } })).toThrow(
    'Policy names beginning with "gatehouse." are gatehouse\'s own: rename "gatehouse.apiKeyRoles".',
  );
  expect(() => buildSchema({ policies: { 'invoice.edit': () => true } })).not.toThrow();
});
