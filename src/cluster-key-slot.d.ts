/** Types of the `cluster-key-slot` package (ioredis' own), which ships none. */
declare module 'cluster-key-slot' {
  /** The Redis Cluster hash slot of `key` (CRC16 of its hash tag, or of the whole key, mod 16384). */
  function calculateSlot(key: string | Buffer): number;
  export default calculateSlot;
}
