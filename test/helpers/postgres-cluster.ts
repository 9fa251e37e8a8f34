// A PostgreSQL cluster of a test's own (test/http/outage.test.ts, test/subscriptions/outage.test.ts).
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { freePort } from './process';

const BIN = '/usr/lib/postgresql/15/bin';

/** initdb and the server refuse to run as root: as root, run them as the postgres user. */
function pgCommand(command: string, args: string[]): void {
  const asRoot = userInfo().uid === 0;
  const [file, argv] = asRoot ? ['runuser', ['-u', 'postgres', '--', join(BIN, command), ...args]] : [join(BIN, command), args];
  execFileSync(file, argv, { stdio: 'pipe', timeout: 60_000 });
}

/** A PostgreSQL cluster of a test's own, on a free port, that the test stops and starts (a real outage). */
export class Cluster {
  constructor(
    readonly dir: string,
    readonly port: number,
  ) {}

  static async create(): Promise<Cluster> {
    const dir = mkdtempSync(join(tmpdir(), 'gatehouse-outage-'));
    if (userInfo().uid === 0) {
      const ids = execFileSync('id', ['-u', 'postgres']).toString().trim();
      const gid = execFileSync('id', ['-g', 'postgres']).toString().trim();
      chownSync(dir, Number(ids), Number(gid));
    }
    chmodSync(dir, 0o700);
    pgCommand('initdb', ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'postgres', '--no-sync', '-E', 'UTF8']);
    const cluster = new Cluster(dir, await freePort());
    cluster.start();
    return cluster;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  start(): void {
    const options = `-p ${this.port} -k ${this.dir} -c listen_addresses=127.0.0.1 -c fsync=off`;
    pgCommand('pg_ctl', ['-D', join(this.dir, 'data'), '-o', options, '-l', join(this.dir, 'log'), '-w', '-t', '60', 'start']);
  }

  stop(): void {
    pgCommand('pg_ctl', ['-D', join(this.dir, 'data'), '-m', 'fast', '-w', 'stop']);
  }

  remove(): void {
    try {
      this.stop();
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** initdb is installed (else the tests that need their own cluster are skipped). */
export const canRunCluster = existsSync(join(BIN, 'initdb'));
