import { describe, expect, it } from 'vitest';
import { modelResolution } from './efficientnet.js';

describe('modelResolution', () => {
  it('modelResolution - EfficientNet native sizes B0..B7, an override wins, other models have none', () => {
    const sizes = [0, 1, 2, 3, 4, 5, 6, 7].map((k) => modelResolution(`efficientnet-b${k}`));
    expect(sizes).toEqual([224, 240, 260, 300, 380, 456, 528, 600]);
    expect(modelResolution('efficientnet-b3', 256)).toBe(256);
    expect(modelResolution('wrn-28-2')).toBeNull();
    expect(modelResolution('cnn-small', 64)).toBe(64);
  });
});
