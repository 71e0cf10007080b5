import { describe, expect, it } from 'vitest';
import { generationTable, type GenerationRow } from './table.js';

const row = (g: number, wait?: [number, number]): GenerationRow => ({
  generation: g,
  role: g ? 'student' : 'teacher',
  model: 'cnn-small',
  top1: 0.9,
  top5: 1,
  labeled: 40,
  pseudoLabeled: g ? 80 : 0,
  seconds: 3,
  ...(wait ? { inputWaitSeconds: wait[0], inputWaitFraction: wait[1] } : {}),
});

describe('generation table', () => {
  it('generationTable - an input wait column only when some generation trained through the input pool', () => {
    expect(generationTable([row(0), row(1)]).split('\n')[0]).not.toContain('input wait');
    const lines = generationTable([row(0, [12.34, 0.104]), row(1)]).split('\n');
    expect(lines[0]).toMatch(/seconds {2}input wait$/);
    expect(lines[2]).toMatch(/ 12\.3s \(10%\)$/);
    expect(lines[3]).toMatch(/ -$/);
  });
});
