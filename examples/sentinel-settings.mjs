// RQ-style settings for a Redis managed by Sentinel: the same names as RQ's settings.py, so one
// file can serve `rq worker -c examples/sentinel-settings.mjs` and `loadSettings({ config })`.
//
// The sentinels come from RQ_EXAMPLE_SENTINELS ("host:port,host:port"), so that the example runs
// against any group; in your own settings file, write the list out.

const sentinels = process.env.RQ_EXAMPLE_SENTINELS ?? 'localhost:26379';

export const SENTINEL = {
  // Where the sentinels listen, as [host, port] pairs. Give several: any one that answers will do.
  INSTANCES: sentinels.split(',').map((address) => {
    const [host, port] = address.trim().split(':');
    return [host, Number(port)];
  }),
  // The name in the sentinels' `sentinel monitor <name> ...` line.
  MASTER_NAME: process.env.RQ_EXAMPLE_MASTER_NAME ?? 'mymaster',
  DB: 0,
  // Sent to the master and, as RQ 1.13 does, to the sentinels too (SENTINEL_KWARGS can differ).
  PASSWORD: process.env.RQ_EXAMPLE_PASSWORD || undefined,
  // Seconds: also how long to look for the master before failing with a clear error.
  SOCKET_TIMEOUT: 2,
};

export const QUEUES = ['default'];
