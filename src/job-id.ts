/**
 * Job ids: RQ 2.8's rule for the ids a caller chooses, and new ids (UUID4s), each on a Redis Cluster
 * after its queue's hash tag (docs/cluster.md).
 */
import { randomUUID } from 'node:crypto';
import { InvalidArgumentError } from './errors.js';
import { queueTag, type Layout } from './keys.js';

const ID_PATTERN = /^[A-Za-z0-9_-]+$/;

/** On a cluster: the queue's tag, then what a plain id may hold (`{emails}order-42`). */
const TAGGED_ID_PATTERN = /^\{[^{}]+\}[A-Za-z0-9_-]+$/;

/**
 * Checks a caller-chosen job id. RQ 2.8 and later accept only letters, digits, `_` and `-`, and a
 * `:` would corrupt RQ's derived keys, so rq-ts refuses anything else. On a Redis Cluster
 * (`layout` 'cluster') the id starts with its queue's hash tag, `{emails}order-42`, which puts
 * the job's keys in its queue's slot (docs/cluster.md).
 * @throws {InvalidArgumentError}
 */
export function validateJobId(id: string, layout: Layout = 'plain'): string {
  if (layout === 'cluster' && !TAGGED_ID_PATTERN.test(id)) {
    const hint = ID_PATTERN.test(id) ? ` Start it with its queue's tag: '{<queue>}${id}'.` : '';
    throw new InvalidArgumentError(`Bad job id '${id}' on a Redis Cluster: an id is its queue's hash tag, then letters, digits, '_' and '-'.${hint}`);
  }
  if (layout !== 'cluster' && !ID_PATTERN.test(id)) throw new InvalidArgumentError(`Bad job id '${id}': use only letters, digits, '_' and '-' (RQ 2.x refuses other ids).`);
  return id;
}

/** A new job id for queue `queue`: a UUID4, on a cluster after the queue's tag (`{emails}1c8e...`). */
export function newJobId(queue: string, layout: Layout): string {
  return layout === 'cluster' ? queueTag(queue) + randomUUID() : randomUUID();
}
