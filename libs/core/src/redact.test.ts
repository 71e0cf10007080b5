import { describe, expect, it } from 'vitest';
import { EXCERPT_CHARS, MESSAGE_CHARS, excerpt, redact, secretValues } from './redact.js';

describe('redact', () => {
  it('excerpt - control characters become ?, assignments are masked, length is capped', () => {
    expect(excerpt('HOME=/root\0AWS_SECRET_ACCESS_KEY=abc123\0')).toBe('HOME=***?AWS_SECRET_ACCESS_KEY=***?');
    const long = excerpt('x'.repeat(500));
    expect(long).toBe(`${'x'.repeat(EXCERPT_CHARS)}...`);
    expect(excerpt('7.5')).toBe('7.5');
  });

  it('redact - secret values and secret-looking assignments are masked, other assignments stay', () => {
    const m = redact(
      "env.csv:1: label 'AWS_SECRET_ACCESS_KEY=hunter2-secret' (set NOISY_ALLOW_CPU_FOR_GPU_ROLE=true)",
      ['hunter2-secret'],
    );
    expect(m).not.toContain('hunter2');
    expect(m).toContain('AWS_SECRET_ACCESS_KEY=***');
    expect(m).toContain('NOISY_ALLOW_CPU_FOR_GPU_ROLE=true');
    expect(redact('token: MY_TOKEN=abc, x')).toBe('token: MY_TOKEN=***, x');
  });

  it('redact - long quoted excerpts are cut and the whole message is capped', () => {
    expect(redact(`value '${'a'.repeat(100)}' is bad`)).toBe(`value '${'a'.repeat(EXCERPT_CHARS)}...' is bad`);
    expect(redact('b'.repeat(MESSAGE_CHARS * 2))).toHaveLength(MESSAGE_CHARS + 3);
    expect(redact('a\0b\nc')).toBe('a?b\nc');
  });

  it('secretValues - picks the values of secret-looking variables only', () => {
    expect(
      secretValues({
        AWS_SECRET_ACCESS_KEY: 's1',
        NOISY_GRPC_TOKEN: 't1',
        NOISY_NATS_PASSWORD: 'p1',
        HOME: '/root',
      }).sort(),
    ).toEqual(['p1', 's1', 't1']);
  });

  it('redact - a secret value is masked wherever it appears, not only in NAME=value', () => {
    expect(redact('auth failed for user noisy with hunter2 at nats://host', ['hunter2'])).toBe(
      'auth failed for user noisy with *** at nats://host',
    );
    // four characters and up; shorter "secrets" would mask ordinary words
    expect(redact('abcd abc', ['abcd', 'abc'])).toBe('*** abc');
  });

  it('redact - limits are inclusive: exactly EXCERPT_CHARS or MESSAGE_CHARS characters stay whole', () => {
    expect(excerpt('y'.repeat(EXCERPT_CHARS))).toBe('y'.repeat(EXCERPT_CHARS));
    expect(excerpt('y'.repeat(EXCERPT_CHARS + 1))).toBe(`${'y'.repeat(EXCERPT_CHARS)}...`);
    expect(redact('z'.repeat(MESSAGE_CHARS))).toBe('z'.repeat(MESSAGE_CHARS));
    expect(redact(`'${'q'.repeat(EXCERPT_CHARS)}'`)).toBe(`'${'q'.repeat(EXCERPT_CHARS)}'`);
    expect(redact(`'${'q'.repeat(EXCERPT_CHARS + 1)}'`)).toBe(`'${'q'.repeat(EXCERPT_CHARS)}...'`);
  });

  it('secretValues - *_KEY and *_KEY_ID names end there; empty values are not secrets', () => {
    expect(
      secretValues({
        AWS_ACCESS_KEY_ID: 'k1',
        MY_KEYBOARD: 'qwerty',
        OLD_KEY_IDEA: 'notes',
        API_KEY: 'k2',
        KEY_IDEA: 'x',
        EMPTY_TOKEN: '',
      }).sort(),
    ).toEqual(['k1', 'k2']);
  });
});
