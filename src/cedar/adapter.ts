// Cedar policies as gatehouse policies: a Cedar policy set (your `.cedar` files) decides every
// field whose `@policy` names this adapter's policy (default name "cedar"). One request to the
// engine per distinct (principal, action, resource attributes, context), remembered across
// requests (a bounded cache: the policy set never changes under a running adapter), and every
// object of a request tick decided in one batch: a preparsed call costs ~150 µs here, so a list of
// 1,000 objects that share a few attribute values costs a few calls, not 1,000.
// What the principal, action and resource are: entities.ts.
import { readFileSync } from 'node:fs';
import * as engine from '@cedar-policy/cedar-wasm/nodejs';
import type { BatchPolicy, Policies, PolicyInput } from '../enforcement/policies';
import { type CedarRequest, type CedarResourceMapping, requestOf } from './entities';

export interface CedarPoliciesOptions {
  /** The policy set as Cedar text. Give this or `files` (or both: their policies are joined). */
  readonly policies?: string;
  /** `.cedar` files holding the policy set, read once now. */
  readonly files?: readonly string[];
  /** What Cedar sees of each GraphQL object type, by type name (see CedarResourceMapping). */
  readonly resources?: Readonly<Record<string, CedarResourceMapping>>;
  /** The name `@policy` uses for this policy set. Default `"cedar"`. */
  readonly name?: string;
  /** More of Cedar's `context`, from the question (e.g. the time of day); part of the cache key. */
  readonly context?: (input: PolicyInput) => Record<string, unknown>;
  /** Decisions remembered, the oldest dropped beyond it. Default 10,000. */
  readonly cacheSize?: number;
}

/** A Cedar policy set turned into gatehouse policies. */
export interface CedarPolicies {
  /** Give these to createGatehouse / createTestKit / `gatehouse start` (`policies: { ...cedar.policies }`). */
  readonly policies: Policies;
  /** Calls made to the Cedar engine so far, and decisions answered from the cache. */
  stats(): { readonly engineCalls: number; readonly cacheHits: number };
}

/** The Cedar policy set refused to parse, or the engine refused a request; the message is Cedar's. */
export class CedarError extends Error {
  override readonly name = 'CedarError';
}

let nextSetId = 0;

/** Builds the policies; throws CedarError at once when the policy set does not parse. */
export function cedarPolicies(options: CedarPoliciesOptions): CedarPolicies {
  const text = [options.policies ?? '', ...(options.files ?? []).map((file) => readFileSync(file, 'utf8'))].join('\n');
  if (text.trim() === '') throw new CedarError('cedarPolicies needs a policy set: give `policies` (Cedar text) or `files`.');
  const setId = `gatehouse-${process.pid}-${nextSetId++}`;
  const parsed = engine.preparsePolicySet(setId, { staticPolicies: text });
  if (parsed.type === 'failure')
    throw new CedarError(`The Cedar policy set does not parse: ${parsed.errors.map((e) => e.message).join('; ')}`);
  const resources = options.resources ?? {};
  const limit = options.cacheSize ?? 10_000;
  const cache = new Map<string, boolean>();
  let engineCalls = 0;
  let cacheHits = 0;

  const decide = (request: CedarRequest): boolean => {
    const known = cache.get(request.key);
    if (known !== undefined) {
      cacheHits++;
      return known;
    }
    engineCalls++;
    const answer = engine.statefulIsAuthorized({
      principal: request.principal,
      action: request.action,
      resource: request.resource,
      context: request.context as engine.Context,
      entities: request.entities as engine.Entities,
      preparsedPolicySetId: setId,
    });
    if (answer.type === 'failure') throw new CedarError(`Cedar refused the request: ${answer.errors.map((e) => e.message).join('; ')}`);
    // An error inside a policy (a missing attribute, say) makes Cedar skip that policy; it is not an allow.
    const allowed = answer.response.decision === 'allow';
    if (cache.size >= limit) cache.delete(cache.keys().next().value as string);
    cache.set(request.key, allowed);
    return allowed;
  };

  const policy: BatchPolicy = {
    batch: (inputs) => {
      // Equal requests in one batch are decided once: the cache fills on the first.
      return inputs.map((input) => decide(requestOf(input, resources, options.context)));
    },
  };
  return {
    policies: { [options.name ?? 'cedar']: policy },
    stats: () => ({ engineCalls, cacheHits }),
  };
}
