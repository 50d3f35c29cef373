/**
 * Serializers turn job data, meta and return values into bytes and back, as RQ's `dumps`/`loads`
 * pairs do. Nothing in Redis records which one was used: producers, workers and readers of a
 * queue must agree. rq-ts uses RQ's JSONSerializer format by default.
 */

/** A `dumps`/`loads` pair, as RQ's serializers. */
export interface Serializer {
  /** Encodes a value to bytes or text. */
  dumps(value: unknown): Buffer | string;
  /** Decodes what {@link Serializer.dumps} wrote. Throws on bytes it cannot read. */
  loads(data: Buffer): unknown;
}

/**
 * RQ's `rq.serializers.JSONSerializer`: UTF-8 JSON. Python's JSON writes `", "` separators; any
 * valid JSON reads back the same on both sides, so rq-ts writes compact JSON.
 */
export const JSONSerializer: Serializer = {
  dumps: (value) => JSON.stringify(value),
  loads: (data) => JSON.parse(data.toString('utf8')) as unknown,
};
