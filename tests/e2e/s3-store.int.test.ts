import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { objectStoreContract, startS3Server } from '@noisy/testing';
import { S3ObjectStore, parseS3Url } from '../../libs/platform/src/object-store/s3.js';

let server: Awaited<ReturnType<typeof startS3Server>>;
let n = 0;
beforeAll(async () => {
  server = await startS3Server();
});
afterAll(async () => {
  await server?.stop();
});

const open = () =>
  new S3ObjectStore({
    ...parseS3Url(
      `s3://bucket-${n++}/noisy?endpoint=${server.endpoint}&pathStyle=true&checksums=when_required&create=true`,
      server.credentials,
    ),
  }).open();
// s3rver ignores If-None-Match, so only the sequential half of putIfAbsent is checked against it.
objectStoreContract('s3', open, { racesDecided: false });

describe('s3 store', () => {
  it('s3 - a 20 MB object goes up in parts and comes back byte for byte', async () => {
    const s = await open();
    const big = new Uint8Array(20 << 20).map((_, i) => (i * 31) % 251);
    await s.put('runs/big/weights.bin', big);
    const back = await s.get('runs/big/weights.bin');
    expect(back.length).toBe(big.length);
    expect(Buffer.compare(Buffer.from(back), Buffer.from(big))).toBe(0);
  });
});
