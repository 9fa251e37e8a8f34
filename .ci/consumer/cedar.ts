// CommonJS consumer of gatehouse/cedar (compiled by tsc): the types resolve and the engine loads.
import { CedarError, cedarPolicies, type CedarPolicies } from 'gatehouse/cedar';

const cedar: CedarPolicies = cedarPolicies({ policies: 'permit (principal, action, resource);' });
if (typeof cedar.policies['cedar'] !== 'object') throw new Error('no "cedar" policy');
try {
  cedarPolicies({ policies: 'permit (' });
  throw new Error('a broken policy set was accepted');
} catch (error) {
  if (!(error instanceof CedarError)) throw error;
}
console.log('gatehouse/cedar (CommonJS): ok');
