/**
 * Enqueue a job on a Redis managed by Sentinel.
 *
 * rq-ts asks the sentinels which server is the master and connects to it; when the master fails,
 * the client asks again and carries on with the replica Sentinel promotes. You give it RQ's
 * `SENTINEL` settings, either as an object (below) or in a config file (`sentinel-settings.mjs`).
 *
 * Run it from the repository root, after `npm run build:test`:
 *
 *   RQ_EXAMPLE_SENTINELS=127.0.0.1:26379,127.0.0.1:26380 node build/examples/sentinel.js
 *   RQ_EXAMPLE_SENTINELS=... node build/examples/sentinel.js examples/sentinel-settings.mjs
 *
 * Optional: RQ_EXAMPLE_MASTER_NAME (default `mymaster`), RQ_EXAMPLE_PASSWORD.
 */
// In your project: `from 'rq-ts'`.
import { Redis } from 'ioredis';
import { ConfigurationError, Queue, describeConnection, loadSettings, openConnection, redisOptionsFromSettings } from '../src/index.js';
import type { RQSettings } from '../src/index.js';

/** Settings as an object: RQ's names, `[host, port]` pairs for the sentinels. */
function exampleSettings(): RQSettings {
  const sentinels = (process.env['RQ_EXAMPLE_SENTINELS'] ?? 'localhost:26379').split(',');
  return {
    SENTINEL: {
      INSTANCES: sentinels.map((address) => {
        const [host = 'localhost', port = '26379'] = address.trim().split(':');
        return [host, Number(port)] as const;
      }),
      MASTER_NAME: process.env['RQ_EXAMPLE_MASTER_NAME'] ?? 'mymaster',
      DB: 0,
      ...(process.env['RQ_EXAMPLE_PASSWORD'] ? { PASSWORD: process.env['RQ_EXAMPLE_PASSWORD'] } : {}),
      SOCKET_TIMEOUT: 2, // seconds; also how long to look for the master before giving up
    },
  };
}

// A config file path on the command line wins, as `rq worker -c <file>` does.
const configFile = process.argv[2];
const settings = configFile ? await loadSettings({ config: configFile }) : exampleSettings();

// describeConnection() masks any password, so it is safe to print.
console.log(`Asking ${describeConnection(redisOptionsFromSettings(settings))} for the master`);

try {
  // openConnection waits until the master is reached, or fails within SOCKET_TIMEOUT with a
  // ConfigurationError saying what each sentinel answered.
  const connection = await openConnection(settings);
  try {
    const queue = new Queue('default', { connection });
    const job = await queue.enqueue('tasks.add', 2, 3);
    // openConnection gives a Redis for Sentinel settings (a Cluster only for CLUSTER settings).
    if (!(connection instanceof Redis)) throw new Error('expected a Sentinel-managed Redis');
    const { remoteAddress, remotePort } = connection.stream;
    console.log(`Enqueued job ${job.id} on queue '${queue.name}' at master ${remoteAddress}:${remotePort}, db ${connection.options.db}`);
  } finally {
    await connection.quit();
  }
} catch (error) {
  if (!(error instanceof ConfigurationError)) throw error;
  console.error(error.message);
  process.exitCode = 1;
}
