/**
 * Starts and stops real `redis-server` and `redis-sentinel` processes for tests, on free loopback
 * ports, each with its own temporary directory and no persistence. Never touches the machine's
 * Redis on 6379. Every process started here is killed when the test process exits, even after a
 * failed test or an uncaught error.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, createConnection } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';

/** A running redis-server (or sentinel) started by the harness. */
export interface RedisProcess {
  readonly host: '127.0.0.1';
  readonly port: number;
  /** `redis://127.0.0.1:<port>` (`rediss://` with TLS; with the password when one is set). */
  readonly url: string;
  readonly pid: number;
  /** Stops the server and removes its directory. Safe to call twice. */
  stop(): Promise<void>;
  /** Sends a signal (SIGKILL by default) and waits for the process to exit. */
  kill(signal?: NodeJS.Signals): Promise<void>;
}

const running = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  const killAll = () => {
    for (const child of running) child.kill('SIGKILL');
  };
  process.on('exit', killAll);
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      killAll();
      process.exit(130);
    });
  }
}

/** Fails at once, with what to install, when a Redis binary is missing. */
export function requireBinary(name: 'redis-server' | 'redis-sentinel'): void {
  const probe = spawnSync(name, ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    const pkg = name === 'redis-sentinel' ? 'redis-sentinel' : 'redis-server';
    throw new Error(`${name} is not installed, and rq-ts tests run against real Redis servers: apt-get install -y ${pkg} redis-tools`);
  }
}

/** A TCP port free on 127.0.0.1 right now. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** Options of {@link startRedis}. */
export interface StartRedisOptions {
  /** `requirepass` for the server. */
  password?: string;
  /** More `redis-server` arguments, e.g. `['--replicaof', '127.0.0.1', '1234']`. */
  args?: string[];
  /** Start a sentinel from this config text (`port` and `bind` are added). */
  sentinelConfig?: string;
  /** Serve TLS only, on the port, with these PEM files (see {@link makeTlsFiles}). */
  tls?: TlsFiles;
  /** The server's directory (its AOF), to start a killed server again on its data. @default a new one */
  dir?: string;
}

/** PEM files for a TLS server: a CA, and a server certificate it signed for 127.0.0.1. */
export interface TlsFiles {
  ca: string;
  cert: string;
  key: string;
}

/** Makes a throw-away CA and a server certificate for IP 127.0.0.1 in `dir`, with openssl. */
export function makeTlsFiles(dir: string): TlsFiles {
  const files = { ca: join(dir, 'ca.pem'), caKey: join(dir, 'ca.key'), cert: join(dir, 'server.pem'), key: join(dir, 'server.key'), csr: join(dir, 'server.csr'), ext: join(dir, 'san.ext') };
  const openssl = (...args: string[]) => {
    const result = spawnSync('openssl', args, { encoding: 'utf8' });
    if (result.error || result.status !== 0) throw new Error(`openssl ${args[0]} failed (apt-get install -y openssl): ${result.stderr ?? result.error?.message}`);
  };
  openssl('req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', '/CN=rq-ts test CA', '-keyout', files.caKey, '-out', files.ca);
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', files.key, '-out', files.csr);
  writeFileSync(files.ext, 'subjectAltName=IP:127.0.0.1\n');
  openssl('x509', '-req', '-in', files.csr, '-CA', files.ca, '-CAkey', files.caKey, '-CAcreateserial', '-days', '2', '-extfile', files.ext, '-out', files.cert);
  return { ca: files.ca, cert: files.cert, key: files.key };
}

/**
 * Starts a redis-server (or, with `sentinelConfig`, a sentinel) on a free loopback port and
 * waits until it answers PING.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisProcess> {
  requireBinary(options.sentinelConfig === undefined ? 'redis-server' : 'redis-sentinel');
  installExitHook();
  let lastError: unknown;
  for (let attempt = 0; attempt < 5; attempt++) {
    const port = await freePort();
    try {
      return await launch(port, options);
    } catch (error) {
      lastError = error; // most likely another process took the port between probe and bind
    }
  }
  throw new Error(`Could not start redis-server: ${(lastError as Error).message}`);
}

/** Starts a redis-server on a given port: to restart one in place after killing it. */
export function startRedisOnPort(port: number, options: StartRedisOptions = {}): Promise<RedisProcess> {
  return launch(port, options);
}

async function launch(port: number, options: StartRedisOptions): Promise<RedisProcess> {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), `rqts-redis-${port}-`));
  const ports = options.tls
    ? ['--port', '0', '--tls-port', String(port), '--tls-cert-file', options.tls.cert, '--tls-key-file', options.tls.key, '--tls-ca-cert-file', options.tls.ca, '--tls-auth-clients', 'no']
    : ['--port', String(port)];
  const common = [...ports, '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no'];
  let child: ChildProcess;
  if (options.sentinelConfig !== undefined) {
    const file = join(dir, 'sentinel.conf');
    writeFileSync(file, `port ${port}\nbind 127.0.0.1\ndir ${dir}\n${options.sentinelConfig}\n`);
    child = spawn('redis-sentinel', [file], { stdio: ['ignore', 'ignore', 'pipe'] });
  } else {
    const auth = options.password ? ['--requirepass', options.password] : [];
    child = spawn('redis-server', [...common, '--repl-diskless-sync-delay', '0', ...auth, ...(options.args ?? [])], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  }
  running.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.once('exit', () => running.delete(child));
  try {
    await waitForPing(port, options.password, child, options.tls);
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(error as Error).message}${stderr ? `: ${stderr.trim()}` : ''}`);
  }
  const auth = options.password ? `:${encodeURIComponent(options.password)}@` : '';
  const scheme = options.tls ? 'rediss' : 'redis';
  let stopped = false;
  const kill = async (signal: NodeJS.Signals = 'SIGKILL') => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill(signal);
      await exited;
    }
  };
  return {
    host: '127.0.0.1',
    port,
    url: `${scheme}://${auth}127.0.0.1:${port}`,
    pid: child.pid ?? -1,
    kill,
    async stop() {
      if (stopped) return;
      stopped = true;
      await kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function waitForPing(port: number, password: string | undefined, child: ChildProcess, tls?: TlsFiles): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`redis on port ${port} exited with code ${child.exitCode}`);
    if (await pings(port, password, tls)) return;
    await sleep(20);
  }
  throw new Error(`redis on port ${port} did not answer PING within 10 s`);
}

function pings(port: number, password: string | undefined, tls?: TlsFiles): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = tls ? tlsConnect({ host: '127.0.0.1', port, ca: readFileSync(tls.ca) }) : createConnection({ host: '127.0.0.1', port });
    let reply = '';
    socket.setTimeout(500, () => socket.destroy());
    socket.on('error', () => resolve(false));
    socket.on('close', () => resolve(/\+PONG/.test(reply)));
    socket.on(tls ? 'secureConnect' : 'connect', () => socket.write(`${password ? `AUTH ${password}\r\n` : ''}PING\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString();
      if (reply.includes('PONG') || reply.includes('-')) socket.end();
    });
  });
}

/** Waits `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** An admin client to a harness server, for assertions; not the client under test. */
export function adminClient(server: Pick<RedisProcess, 'port'>, password?: string): Redis {
  return new Redis({ host: '127.0.0.1', port: server.port, ...(password ? { password } : {}), maxRetriesPerRequest: 1, connectionName: 'rqts-test-admin' });
}

/** A Sentinel group: one primary, one replica, three sentinels, all on free loopback ports. */
export interface SentinelGroup {
  readonly masterName: string;
  readonly password: string | undefined;
  readonly primary: RedisProcess;
  /** The (first) replica. */
  readonly replica: RedisProcess;
  /** Every replica, the first one included. */
  readonly replicas: readonly RedisProcess[];
  readonly sentinels: readonly RedisProcess[];
  /** `[['127.0.0.1', port], ...]`, as RQ's `SENTINEL.INSTANCES`. */
  readonly instances: Array<[string, number]>;
  /** Port of the server the sentinels currently name as master. */
  currentMasterPort(): Promise<number>;
  stop(): Promise<void>;
}

/**
 * Starts the Sentinel recipe of RELIABILITY.md §3.5 on free ports (down-after 1000 ms,
 * failover-timeout 5000 ms) and waits until the sentinels see each other and the replica is in sync.
 * With `password`, the servers and the sentinels all require it (as RQ 1.13 sends one password
 * to both); with `replicas`, that many replicas (default 1).
 */
export async function startSentinelGroup(options: { masterName?: string; password?: string; replicas?: number } = {}): Promise<SentinelGroup> {
  const masterName = options.masterName ?? 'mymaster';
  const password = options.password;
  const auth = password ? { password } : {};
  const primary = await startRedis({ ...auth, args: password ? ['--masterauth', password] : [] });
  const replicas: RedisProcess[] = [];
  for (let i = 0; i < (options.replicas ?? 1); i++) {
    replicas.push(await startRedis({ ...auth, args: ['--replicaof', '127.0.0.1', String(primary.port), ...(password ? ['--masterauth', password] : [])] }));
  }
  const replica = replicas[0]!;
  const sentinelConfig = [
    `sentinel monitor ${masterName} 127.0.0.1 ${primary.port} 2`,
    `sentinel down-after-milliseconds ${masterName} 1000`,
    `sentinel failover-timeout ${masterName} 5000`,
    `sentinel parallel-syncs ${masterName} 1`,
    ...(password ? [`sentinel auth-pass ${masterName} ${password}`, `requirepass ${password}`] : []),
  ].join('\n');
  const sentinels: RedisProcess[] = [];
  for (let i = 0; i < 3; i++) sentinels.push(await startRedis({ ...auth, sentinelConfig }));
  const stop = async () => {
    await Promise.all([...sentinels, ...replicas, primary].map((server) => server.stop()));
  };
  const probe = adminClient(sentinels[0]!, password);
  const replicaAdmins = replicas.map((server) => adminClient(server, password));
  try {
    await waitUntil(async () => {
      const fields = (await probe.call('SENTINEL', 'master', masterName)) as string[];
      const field = (name: string) => fields[fields.indexOf(name) + 1];
      return field('num-other-sentinels') === '2' && field('num-slaves') === String(replicas.length);
    }, 20_000, 'sentinels to see each other and the replicas');
    for (const replicaAdmin of replicaAdmins) {
      await waitUntil(async () => (await replicaAdmin.info('replication')).includes('master_link_status:up'), 20_000, 'the replicas to sync');
    }
  } catch (error) {
    await stop();
    throw error;
  } finally {
    probe.disconnect();
    for (const replicaAdmin of replicaAdmins) replicaAdmin.disconnect();
  }
  return {
    masterName,
    password,
    primary,
    replica,
    replicas,
    sentinels,
    instances: sentinels.map((s) => ['127.0.0.1', s.port]),
    async currentMasterPort() {
      const client = adminClient(sentinels[1]!, password);
      try {
        const [, port] = (await client.call('SENTINEL', 'get-master-addr-by-name', masterName)) as [string, string];
        return Number(port);
      } finally {
        client.disconnect();
      }
    },
    stop,
  };
}

/** Polls `condition` every 50 ms until it holds, or throws after `timeoutMs` saying what it waited for. */
export async function waitUntil(condition: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await condition()) return;
    } catch {
      // not yet: the server may be restarting
    }
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}

/**
 * Fails when a client connection is still open on any of `servers` (2 s allowed for closes to
 * arrive), other than the harness' admin clients, the sentinels' own links (`sentinel-*`) and
 * replication links. Leftovers are closed first, so that only the test that leaked them fails.
 */
export async function assertServersIdle(servers: readonly Pick<RedisProcess, 'port'>[], password?: string): Promise<void> {
  const left: string[] = [];
  for (const server of servers) {
    const admin = adminClient(server, password);
    const leftovers = async () =>
      ((await admin.client('LIST')) as string)
        .split('\n')
        .filter((line) => line.trim() !== '' && !/\bname=(rqts-test-admin|sentinel-)/.test(line) && !/\bflags=\w*[SM]/.test(line));
    try {
      await waitUntil(async () => (await leftovers()).length === 0, 2000, 'test clients to close');
    } catch {
      for (const line of await leftovers()) {
        left.push(`port ${server.port}: ${line}`);
        await admin.client('KILL', 'ID', /\bid=(\d+)/.exec(line)![1]!).catch(() => {});
      }
    } finally {
      admin.disconnect();
    }
  }
  if (left.length > 0) throw new Error(`The test left ${left.length} connection(s) open:\n${left.join('\n')}`);
}
