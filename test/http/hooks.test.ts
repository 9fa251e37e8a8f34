import { bringsOwnCsp } from '../../src/http/hooks';
import { GRAPHQL_PATH, SIGN_IN_PATH } from '../../src/http/route';

describe('bringsOwnCsp: which answers go out without the API Content-Security-Policy', () => {
  it("only the GraphQL route's HTML answer (Apollo's landing page, which sets its own in a <meta>)", () => {
    expect(bringsOwnCsp(GRAPHQL_PATH, 'text/html; charset=utf-8')).toBe(true);
    expect(bringsOwnCsp(GRAPHQL_PATH, 'text/html')).toBe(true);
  });

  it('not the GraphQL route answering JSON', () => {
    expect(bringsOwnCsp(GRAPHQL_PATH, 'application/json; charset=utf-8')).toBe(false);
    expect(bringsOwnCsp(GRAPHQL_PATH, 'application/graphql-response+json; charset=utf-8')).toBe(false);
    expect(bringsOwnCsp(GRAPHQL_PATH, undefined)).toBe(false);
  });

  it('not another HTML page (the sign-in page sets its own header), nor an answer with no route (404)', () => {
    expect(bringsOwnCsp(SIGN_IN_PATH, 'text/html; charset=utf-8')).toBe(false);
    expect(bringsOwnCsp('/healthz', 'text/html')).toBe(false);
    expect(bringsOwnCsp(undefined, 'text/html; charset=utf-8')).toBe(false);
  });
});
