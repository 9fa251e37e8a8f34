/*
 * Spans through @opentelemetry/api: with a tracer provider the application registers after
 * gatehouse is loaded and running, every request has gatehouse.authenticate (with the credential's
 * kind) and gatehouse.authorize (with every coordinate denied, queries included). Captured with
 * @opentelemetry/sdk-trace-base's in-memory exporter; without a provider nothing is recorded.
 */
import { trace } from '@opentelemetry/api';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createKey, signUp } from '../helpers/accounts';
import { type HttpHarness, startHttpServer } from '../helpers/http';

let h: HttpHarness;
const exporter = new InMemorySpanExporter();

beforeAll(async () => {
  h = await startHttpServer();
});
afterAll(async () => {
  trace.disable();
  await h.close();
});

const spans = (name: string) => exporter.getFinishedSpans().filter((s) => s.name === name);

it('records nothing before a provider is registered, and every request once one is, registered after gatehouse started', async () => {
  const user = await signUp(h);
  await h.gql('{ me { id } }', { headers: { authorization: `Bearer ${user.accessToken}` } });
  expect(exporter.getFinishedSpans()).toEqual([]);

  trace.setGlobalTracerProvider(new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] }));
  const key = await createKey(h, user.accessToken);
  exporter.reset();

  await h.gql('{ me { id } users { totalCount } }', { headers: { authorization: `Bearer ${user.accessToken}` } });
  await h.gql('{ me { id apiKeys { id } } }', { headers: { 'x-api-key': key.secret } });
  await h.gql('{ publicMessage }');
  await h.gql('{ publicMessage }', { headers: { authorization: 'Bearer nope' } });

  expect(spans('gatehouse.authenticate').map((s) => s.attributes['gatehouse.credential.kind'])).toEqual(['jwt', 'api-key', 'none', 'jwt']);
  // The refused credential never reaches authorization: three authorize spans, one per request that ran.
  expect(spans('gatehouse.authorize').map((s) => s.attributes['gatehouse.denied'])).toEqual([['Query.users'], ['User.apiKeys'], []]);
});
