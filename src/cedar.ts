/**
 * gatehouse/cedar: a Cedar policy set (your `.cedar` files) as a policy `@policy` can name.
 *
 *     import { cedarPolicies } from 'gatehouse/cedar';
 *     const cedar = cedarPolicies({ files: ['policies/invoices.cedar'], resources: { Invoice: { attributes: ['createdBy', 'status'] } } });
 *     await createGatehouse({ typeDefs, resolvers, policies: { ...cedar.policies } });   // @policy(policies: [["cedar"]])
 *
 * See docs/protecting-fields.md, "Rules that need code".
 */
export { CedarError, type CedarPolicies, type CedarPoliciesOptions, cedarPolicies } from './cedar/adapter';
export type { CedarResourceMapping, CedarValue } from './cedar/entities';
