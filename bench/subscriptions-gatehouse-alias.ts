// The notes example imports `gatehouse`, its package name; in the compiled bench that is this
// build's src/index (the bench compiles src, bench and what they import, not the package).
// Imported before the example, so the alias is in place when the example is loaded.
import Module from 'node:module';
import { join } from 'node:path';

const loader = Module as unknown as { _resolveFilename(request: string, ...rest: unknown[]): string };
const resolve = loader._resolveFilename;
loader._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]) {
  return resolve.call(this, request === 'gatehouse' ? join(__dirname, '..', 'src', 'index.js') : request, ...rest);
};
