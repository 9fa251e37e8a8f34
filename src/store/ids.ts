import { randomBytes } from 'node:crypto';

let lastMs = 0;
let sequence = 0;

/**
 * A new row id: a UUIDv7 (RFC 9562), so ids sort by creation time, and, within this process, each
 * is greater than the one before even in the same millisecond (the 12-bit rand_a field counts).
 * That makes "newest first" lists stable without a second sort key.
 */
export function newId(now: number = Date.now()): string {
  if (now > lastMs) {
    lastMs = now;
    sequence = randomBytes(2).readUInt16BE() & 0x3ff; // leave room to count up within the millisecond
  } else if (++sequence > 0xfff) {
    lastMs += 1; // more than 3000 ids in one millisecond: borrow from the next one
    sequence = 0;
  }
  const bytes = randomBytes(16);
  bytes.writeUIntBE(lastMs, 0, 6);
  bytes[6] = 0x70 | (sequence >> 8);
  bytes[7] = sequence & 0xff;
  bytes[8] = 0x80 | ((bytes[8] as number) & 0x3f);
  const hex = bytes.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
