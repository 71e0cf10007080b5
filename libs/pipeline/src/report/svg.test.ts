// The report's charts carry their scales: y ticks with values, and x ticks from 0 to the last x.
import { describe, expect, it } from 'vitest';
import { lineChart } from './svg.js';

const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);

describe('svg charts', () => {
  it('lineChart - x ticks at 0, quarters and the last step; y ticks from 0 to the maximum', () => {
    const svg = lineChart(
      'loss',
      [{ name: 'gen 1', values: [2, 1, 0.5], x: [0, 200, 400] }],
      (v) => v.toFixed(1),
      'step',
    );
    const t = texts(svg);
    for (const tick of ['0', '100', '200', '300', '400']) expect(t).toContain(tick);
    for (const tick of ['0.0', '0.5', '1.0', '1.5', '2.0']) expect(t).toContain(tick);
    expect(t).toContain('step');
  });

  it('lineChart - epochs as x: whole-number ticks without repeats on a short run', () => {
    const t = texts(lineChart('acc', [{ name: 'a', values: [0.1, 0.2, 0.3] }], (v) => v.toFixed(2)));
    expect(t.filter((s) => /^\d+$/.test(s))).toEqual(['0', '1', '2']);
  });
});
