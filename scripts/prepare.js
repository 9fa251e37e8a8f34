// npm runs `prepare` after `npm install` / `npm ci` in this repository and before `npm pack`.
// Builds dist/ when the compiler is installed, so `npm install && npm start` works on a fresh
// clone; on a production install (`npm ci --omit=dev`, no TypeScript) it leaves the dist/ that was
// built beforehand alone.
const { execSync } = require('node:child_process');
const { existsSync } = require('node:fs');
const { join } = require('node:path');

// An installed copy of the package has no sources to build (and ships dist/ already).
if (!existsSync(join(__dirname, '..', 'tsconfig.build.json'))) process.exit(0);
try {
  require.resolve('typescript');
} catch {
  console.log('prepare: TypeScript is not installed (npm ci --omit=dev?): not building; npm start runs the dist/ built beforehand');
  process.exit(0);
}
execSync('npm run --silent build', { stdio: 'inherit' });
