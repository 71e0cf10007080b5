import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '@noisy/core';
import { isLoopbackHost, serviceConfigFromEnv } from './service-config.js';

const base = { NOISY_NATS_URL: 'nats://127.0.0.1:4222', NOISY_STORE_URL: 'memory://' };
const refusal = (env: Record<string, string>) => {
  try {
    serviceConfigFromEnv({ ...base, ...env });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).message;
  }
  return 'accepted';
};

describe('service config', () => {
  it('serviceConfigFromEnv - binds loopback, no token and no data roots by default', () => {
    const c = serviceConfigFromEnv(base);
    expect(c.grpcHost).toBe('127.0.0.1');
    expect(c.grpcToken).toBeUndefined();
    expect(c.dataRoots).toEqual([]);
    expect(c.dev).toBe(false);
  });

  it('serviceConfigFromEnv - a non-loopback bind needs TLS, a token or an explicit opt-out', () => {
    expect(refusal({ NOISY_GRPC_HOST: '0.0.0.0' })).toMatch(
      /^NOISY_GRPC_HOST: binds 0\.0\.0\.0 without TLS or a token/,
    );
    const token = 'x'.repeat(32);
    expect(serviceConfigFromEnv({ ...base, NOISY_GRPC_HOST: '0.0.0.0', NOISY_GRPC_TOKEN: token }).grpcToken).toBe(
      token,
    );
    expect(
      serviceConfigFromEnv({ ...base, NOISY_GRPC_HOST: '0.0.0.0', NOISY_GRPC_ALLOW_INSECURE: 'true' }).grpcHost,
    ).toBe('0.0.0.0');
  });

  it('serviceConfigFromEnv - dev mode refuses a non-loopback bind even with a token', () => {
    expect(refusal({ NOISY_DEV: '1', NOISY_GRPC_HOST: '0.0.0.0', NOISY_GRPC_TOKEN: 'x'.repeat(32) })).toMatch(
      /^NOISY_GRPC_HOST: must be a loopback address in dev mode/,
    );
  });

  it('serviceConfigFromEnv - tokens: short ones refused, read from a file, not both forms', async () => {
    expect(refusal({ NOISY_GRPC_TOKEN: 'short' })).toMatch(/^NOISY_GRPC_TOKEN: must be at least 16/);
    const file = join(await mkdtemp(join(tmpdir(), 'token-')), 'token');
    await writeFile(file, `${'t'.repeat(20)}\n`);
    expect(serviceConfigFromEnv({ ...base, NOISY_GRPC_TOKEN_FILE: file }).grpcToken).toBe('t'.repeat(20));
    expect(refusal({ NOISY_GRPC_TOKEN_FILE: file, NOISY_GRPC_TOKEN: 'y'.repeat(20) })).toMatch(
      /^NOISY_GRPC_TOKEN_FILE:/,
    );
    expect(refusal({ NOISY_GRPC_TOKEN_FILE: join(file, 'absent') })).toMatch(
      /^NOISY_GRPC_TOKEN_FILE: cannot read .*ENOTDIR/,
    );
  });

  it('serviceConfigFromEnv - data roots are absolute directories', () => {
    expect(serviceConfigFromEnv({ ...base, NOISY_DATA_ROOTS: '/data:/mnt/x' }).dataRoots).toEqual(['/data', '/mnt/x']);
    expect(refusal({ NOISY_DATA_ROOTS: 'data' })).toMatch(/^NOISY_DATA_ROOTS: must be absolute/);
  });

  it('serviceConfigFromEnv - stream limits: defaults, hours to ms, out-of-range values refused', () => {
    expect(serviceConfigFromEnv(base).nats.streams).toEqual({
      replicas: 1,
      maxAgeMs: 168 * 3_600_000,
      maxBytes: 1 << 30,
    });
    expect(
      serviceConfigFromEnv({
        ...base,
        NOISY_STREAM_REPLICAS: '3',
        NOISY_STREAM_MAX_AGE_HOURS: '24',
        NOISY_STREAM_MAX_BYTES: '1048576',
      }).nats.streams,
    ).toEqual({ replicas: 3, maxAgeMs: 24 * 3_600_000, maxBytes: 1 << 20 });
    expect(refusal({ NOISY_STREAM_REPLICAS: '0' })).toMatch(/^NOISY_STREAM_REPLICAS: must be an integer from 1 to 5/);
    expect(refusal({ NOISY_STREAM_MAX_BYTES: '1000' })).toMatch(
      /^NOISY_STREAM_MAX_BYTES: must be an integer from 1048576/,
    );
  });

  it('isLoopbackHost - 127/8, ::1 and localhost only', () => {
    expect(['127.0.0.1', '127.3.2.1', '::1', '[::1]', 'localhost'].map(isLoopbackHost)).toEqual([
      true,
      true,
      true,
      true,
      true,
    ]);
    expect(['0.0.0.0', '10.0.0.1', '::', 'example.com', '127.0.0.1.nip.io'].map(isLoopbackHost)).toEqual([
      false,
      false,
      false,
      false,
      false,
    ]);
  });
});
