// The controller's Run message carries each generation's input wait (encoded pictures) through the
// wire, and leaves it absent, not 0, for generations trained without the input pool.
import { describe, expect, it } from 'vitest';
import { controllerPb } from '@noisy/contracts/grpc';
import type { RunInfo } from '@noisy/pipeline';
import { toRun } from './handlers.js';

const generation = (g: number) => ({
  generation: g,
  role: g ? ('student' as const) : ('teacher' as const),
  model: 'efficientnet-b0',
  top1: 0.5,
  top5: 0.8,
  ece: 0.05,
  dev: null,
  labeled: 1000,
  pseudoLabeled: g ? 3000 : 0,
  parameters: 4_000_000,
  replicas: 1,
  seconds: 120.5,
});

describe('controller handlers', () => {
  it('toRun - input wait seconds and fraction survive the wire round trip; absent stays absent', () => {
    const info: RunInfo = {
      runId: 'r1',
      name: 'inet',
      state: 'finished',
      message: '',
      createdAt: '2026-12-01T00:00:00Z',
      generations: [{ ...generation(0), inputWaitSeconds: 12.3, inputWaitFraction: 0.1 }, generation(1)],
    };
    const wire = controllerPb.Run.encode(toRun(info, [])).finish();
    const back = controllerPb.Run.decode(wire);
    expect(back.generations.map((g) => [g.inputWaitSeconds, g.inputWaitFraction])).toEqual([
      [12.3, 0.1],
      [undefined, undefined],
    ]);
    // A zero wait (the pool kept up) is a value, not an absence.
    const zero = controllerPb.Run.decode(
      controllerPb.Run.encode(
        toRun({ ...info, generations: [{ ...generation(0), inputWaitSeconds: 0, inputWaitFraction: 0 }] }, []),
      ).finish(),
    );
    expect([zero.generations[0].inputWaitSeconds, zero.generations[0].inputWaitFraction]).toEqual([0, 0]);
    // What `noisy run --controller --summary` writes: the JSON form keeps them too.
    const json = controllerPb.Run.toJSON(back) as { generations: Array<Record<string, unknown>> };
    expect(json.generations[0]).toMatchObject({ inputWaitSeconds: 12.3, inputWaitFraction: 0.1 });
    expect(json.generations[1]).not.toHaveProperty('inputWaitSeconds');
  });
});
