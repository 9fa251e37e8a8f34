// The admin console at /admin: static files (src/admin-console/: plain ES modules,
// one stylesheet, no build step and no dependency) that call this server's own GraphQL API, so every
// rule, limit and audit row applies to them as to any caller. Served only from this origin, under a
// policy that allows nothing else: no inline script or style, no other origin, no framing.
// ADMIN_CONSOLE=false registers nothing (404).
import { readdirSync, readFileSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { RouteModule } from './route';

export const ADMIN_CONSOLE_PATH = '/admin';

/**
 * Where the console's files are: src/admin-console/, read from the source tree by the compiled server
 * too (dist/http/ and src/http/ are both two levels below the package root; the package ships it).
 */
export const ADMIN_CONSOLE_DIR = join(__dirname, '..', '..', 'src', 'admin-console');

/**
 * The console's Content-Security-Policy: its own scripts, styles and icon, requests to its own
 * origin only, no inline code (the pages hold none), never inside a frame.
 */
export const ADMIN_CONSOLE_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "object-src 'none'",
].join('; ');

const TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
};

interface Asset {
  readonly type: string;
  readonly body: Buffer;
}

/** Every file of the console, by its path under /admin/, read once at start-up: nothing else is ever served. */
export function loadConsoleAssets(dir: string = ADMIN_CONSOLE_DIR): Map<string, Asset> {
  const assets = new Map<string, Asset>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    const type = TYPES[extname(entry.name)];
    if (!entry.isFile() || type === undefined) continue;
    const path = join(entry.parentPath, entry.name);
    assets.set(relative(dir, path).split(sep).join('/'), { type, body: readFileSync(path) });
  }
  return assets;
}

export function registerAdminConsole(fastify: FastifyInstance, assets: Map<string, Asset> = loadConsoleAssets()): void {
  const index = assets.get('index.html');
  if (index === undefined) throw new Error(`the admin console's index.html is missing from ${ADMIN_CONSOLE_DIR}`);
  const headers = {
    'content-security-policy': ADMIN_CONSOLE_POLICY,
    'cross-origin-opener-policy': 'same-origin',
    'cache-control': 'no-cache',
  };
  const page = async (_request: unknown, reply: FastifyReply) => reply.headers(headers).type(index.type).send(index.body);
  fastify.get(ADMIN_CONSOLE_PATH, page);
  fastify.get(`${ADMIN_CONSOLE_PATH}/`, page);
  fastify.get<{ Params: { '*': string } }>(`${ADMIN_CONSOLE_PATH}/*`, async (request, reply) => {
    const asset = request.params['*'] === 'index.html' ? undefined : assets.get(request.params['*']);
    if (asset === undefined) return reply.callNotFound();
    return reply.headers(headers).type(asset.type).send(asset.body);
  });
}

/** The console as a route module: on unless ADMIN_CONSOLE=false. */
export const adminConsoleRoute: RouteModule = (fastify, { app }) => {
  if (app.config.adminConsole) registerAdminConsole(fastify);
};
