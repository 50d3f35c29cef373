/**
 * Where a client process' time goes between it and Redis, for `npm run bench:parts`: loaded into a
 * benchmark child with `node --import`, it notes the time of every socket write (as it enters the
 * write system call) and of every read that brings data, per socket, whatever library sends them.
 * From that timeline:
 *   - waiting on Redis: time during which at least one socket has a write not yet answered by data
 *     (the command on the wire, Redis running it, the reply on its way back, the wake-ups);
 *   - client: the rest (parsing replies, running the job's code, building the next command);
 *   - round trips: writes that found their socket with nothing outstanding.
 * Only TCP sockets are counted (in these children, the connections to Redis). The hook costs
 * about a microsecond per write and read; the split, not the total, is the figure.
 */
import net from 'node:net';

const events = [];
let nextId = 0;
const socketProto = net.Socket.prototype;
// _writev (a corked stream's flush) goes through _writeGeneric too: one hook sees every write.
const write = socketProto._writeGeneric;
const push = socketProto.push;

function idOf(socket) {
  if (socket.__wireId === undefined) socket.__wireId = nextId++;
  return socket.__wireId;
}

// Only TCP sockets count: stdout and stderr are sockets too (pipes), and a line written there
// would otherwise stay "outstanding" and turn every later microsecond into waiting.
socketProto._writeGeneric = function writeGeneric(...args) {
  if (this.remotePort !== undefined) events.push(performance.now(), idOf(this), 1);
  return write.apply(this, args);
};
socketProto.push = function pushData(chunk, encoding) {
  if (chunk && this.remotePort !== undefined) events.push(performance.now(), idOf(this), 2);
  return push.call(this, chunk, encoding);
};

/**
 * The split of [from, to] (performance.now() times): ms waiting on Redis and in the client, and
 * round trips (writes to a socket with nothing outstanding).
 */
function split(from, to) {
  const pending = new Map();
  let outstanding = 0;
  let waiting = 0;
  let client = 0;
  let roundTrips = 0;
  let last = from;
  for (let i = 0; i < events.length; i += 3) {
    const time = events[i];
    if (time > to) break;
    const socket = events[i + 1];
    const kind = events[i + 2];
    if (time >= from) {
      if (outstanding > 0) waiting += time - last;
      else client += time - last;
      last = time;
    }
    if (kind === 1) {
      if (!pending.get(socket)) {
        pending.set(socket, true);
        outstanding += 1;
        if (time >= from) roundTrips += 1;
      }
    } else if (pending.get(socket)) {
      pending.set(socket, false);
      outstanding -= 1;
    }
  }
  if (outstanding > 0) waiting += to - last;
  else client += to - last;
  return { waiting, client, roundTrips };
}

/** The first read with data in [from, to], or undefined. */
function firstData(from, to) {
  for (let i = 0; i < events.length; i += 3) {
    const time = events[i];
    if (time > to) return undefined;
    if (time >= from && events[i + 2] === 2) return time;
  }
  return undefined;
}

/** The wire split of [from, to] per job, for `jobs` jobs, in µs. */
function perJob(from, to, jobs) {
  const { waiting, client, roundTrips } = split(from, to);
  return { jobs, waitingUs: (waiting / jobs) * 1000, clientUs: (client / jobs) * 1000, roundTrips: roundTrips / jobs };
}

/**
 * For jobs sent at `sentAt` (performance.now() of this process) and completed at `doneAt`, one
 * at a time: medians in µs of send to wake-up (the first data after the send), and from the
 * wake-up to completion the time waiting on Redis and in the client, and the round trips.
 */
function latencyParts(jobs) {
  const parts = { wakeUs: [], waitingUs: [], clientUs: [], roundTrips: [] };
  for (const { sentAt, doneAt } of jobs) {
    const wake = firstData(sentAt, doneAt);
    if (wake === undefined) continue;
    const { waiting, client, roundTrips } = split(wake, doneAt);
    parts.wakeUs.push((wake - sentAt) * 1000);
    parts.waitingUs.push(waiting * 1000);
    parts.clientUs.push(client * 1000);
    parts.roundTrips.push(roundTrips);
  }
  const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  return { jobs: parts.wakeUs.length, ...Object.fromEntries(Object.entries(parts).map(([key, values]) => [key, median(values)])) };
}

globalThis.__wireTimeline = { perJob, latencyParts };
