/*
 * `.env.example` documents every variable (the contract, "Running it"): the names parseConfig
 * reads are exactly the names .env.example shows, set or commented out (`# NAME=`).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig } from '../../src/config';
import { randomSecret } from '../helpers/http';

const example = readFileSync(join(__dirname, '..', '..', '.env.example'), 'utf8');

/** NAME=value lines of .env.example, the commented-out ones included (their value as written, or empty). */
function documented(): Map<string, string> {
  const names = new Map<string, string>();
  for (const match of example.matchAll(/^#?\s*([A-Z][A-Z0-9_]*)=(.*)$/gm)) names.set(match[1] as string, match[2] as string);
  return names;
}

/** The names parseConfig asks `env` for, given these values. */
function namesRead(values: Record<string, string>): Set<string> {
  const read = new Set<string>();
  const env = new Proxy(values, {
    get(target, key) {
      if (typeof key === 'string') read.add(key);
      return Reflect.get(target, key);
    },
    has(target, key) {
      if (typeof key === 'string') read.add(key);
      return Reflect.has(target, key);
    },
  });
  parseConfig(env);
  return read;
}

it('documents every variable parseConfig reads, and nothing it does not', () => {
  const names = documented();
  expect(names.size).toBeGreaterThan(30);
  // Read with nothing set, and with every documented variable set to its example value (so the
  // variables read only beside another one, like ADMIN_PASSWORD, are asked for too).
  const asExample: Record<string, string> = {
    JWT_SECRET: randomSecret(),
    ADMIN_EMAIL: 'ops@example.com',
    ADMIN_PASSWORD: 'a long password',
  };
  for (const [name, value] of names) if (value !== '' && asExample[name] === undefined) asExample[name] = value;
  const read = new Set([...namesRead({}), ...namesRead(asExample), ...namesRead({ ...asExample, NODE_ENV: 'production' })]);
  expect([...read].filter((name) => !names.has(name)).sort()).toEqual([]);
  expect([...names.keys()].filter((name) => !read.has(name)).sort()).toEqual([]);
});
