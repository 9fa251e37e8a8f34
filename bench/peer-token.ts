import type { KeyObject } from 'node:crypto';
import jwt from 'jsonwebtoken';

/** The peers' signing secret (not gatehouse's: each server signs the token it is sent). */
export const BENCH_JWT_SECRET = 'bench-only-peer-secret-5b0c2e7a9d4f1a8c3e6b';

/** An HS256 token for the peers, valid for a day. */
export function peerToken(key: KeyObject): string {
  return jwt.sign({ sub: 'bench-user' }, key, { algorithm: 'HS256', expiresIn: '1d' });
}
