/**
 * The job hash as Redis holds it (docs/jobs.md): `data` is zlib-compressed JSON of
 * [funcName, null, args, kwargs], `meta` is plain JSON, a result is base64 of JSON in the stream
 * `rq:results:<id>`, an error base64 of zlib of its text. Data that Python pickled is refused.
 *
 * Run it from the repository root, after `npm run build:test`, against a scratch database:
 *
 *   RQ_EXAMPLE_URL_1=redis://localhost:6379/15 node build/examples/docs/job-hash.js
 *
 * It prints the raw fields and their decoding, and exits with code 1 if one is not as shown.
 */
import assert from 'node:assert/strict';
import { deflateSync, inflateSync } from 'node:zlib';
import { Redis } from 'ioredis';
// In your project: `from 'rq-ts'`.
import { DeserializationError, Job, Queue, Worker } from '../../src/index.js';

const url = process.env['RQ_EXAMPLE_URL_1'];
if (!url) {
  console.error('Set RQ_EXAMPLE_URL_1 to a Redis database the example may write to, e.g. redis://localhost:6379/15.');
  process.exit(2);
}
const connection = new Redis(url);

try {
  const queue = new Queue('greetings', { connection });
  const job = await queue.enqueueCall('tasks.greet', { args: ['Ada'], kwargs: { greeting: 'Welcome' }, meta: { source: 'signup' }, jobId: 'greet-ada' });

  // As `redis-cli HGETALL rq:job:greet-ada` would show it, decoded.
  const hash = await connection.hgetallBuffer('rq:job:greet-ada');
  console.log(`fields: ${Object.keys(hash).sort().join(' ')}`);
  const data = inflateSync(hash['data']!).toString();
  console.log(`data (zlib) -> ${data}`);
  console.log(`meta (plain JSON) -> ${hash['meta']}`);
  console.log(`created_at -> ${hash['created_at']}`);
  assert.deepEqual(JSON.parse(data), ['tasks.greet', null, ['Ada'], { greeting: 'Welcome' }]);

  // A JavaScript function gets Python's keyword arguments as a trailing object.
  const tasks = { 'tasks.greet': (name: string, options: { greeting: string }) => `${options.greeting}, ${name}!` };
  await new Worker([queue], { connection, tasks }).work({ burst: true });
  const [[entryId, fields]] = (await connection.xrange('rq:results:greet-ada', '-', '+')) as [[string, string[]]];
  console.log(`XRANGE rq:results:greet-ada -> ${entryId} ${fields.join(' ')}`);
  console.log(`return_value (base64 of JSON) -> ${Buffer.from(fields[3]!, 'base64').toString()}`);
  assert.equal(await job.returnValue(), 'Welcome, Ada!');

  // A job that Python enqueued with RQ's default serializer (pickle) cannot be read.
  const pickled = Buffer.from([0x80, 0x05, 0x95, 0x1c, 0x00, 0x00]); // how every pickle starts
  await connection.hset('rq:job:from-python', { data: deflateSync(pickled), status: 'queued', origin: 'greetings', description: 'tasks.greet(...)' });
  await assert.rejects(Job.fetch('from-python', { connection }), (error: Error) => {
    console.log(`Job.fetch('from-python') -> ${error.name}: ${error.message}`);
    return error instanceof DeserializationError;
  });

  // Job.create builds a job in memory; save() writes its hash (and puts it on no queue).
  const draft = Job.create({ funcName: 'tasks.greet', args: ['Grace'], id: 'draft-grace' }, { connection });
  await draft.save();
  console.log(`draft saved: status field ${await connection.hget('rq:job:draft-grace', 'status')}, on a queue: ${(await queue.getJobIds()).includes('draft-grace')}`);
} finally {
  await connection.quit();
}
