// The HTML report in a real browser (Debian chromium through playwright-core): no console errors,
// every chart and sample image present; a screenshot lands in test-output/report.png.
import { mkdir, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { main } from '../../tools/cli/src/main.js';
import { quietIo } from '../../tools/cli/src/test-io.js';

const quiet = quietIo;
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const yaml = `
name: report-tiny
seed: 4
data: { source: { kind: synthetic, classes: 3, size: 10, train: 150, test: 30 }, labeledPerClass: 10, unlabeledShards: 2 }
train: { epochs: 8, batchSize: 8, learningRate: 0.5, warmupEpochs: 1, randAugment: null, padCrop: false }
teacher: { model: { name: cnn-small, width: 0.5 } }
students: [ { model: { name: cnn-small, width: 0.5 }, train: { unlabelRatio: 1 } } ]
`;

describe('noisy report', () => {
  it('noisy report - renders in headless Chromium without console errors, with charts, samples and lineage', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'report-'));
    await writeFile(join(dir, 'exp.yaml'), yaml);
    expect(
      await main(
        ['run', join(dir, 'exp.yaml'), '--store', join(dir, 'store'), '--offline', '--summary', join(dir, 's.json')],
        quiet(),
      ),
    ).toBe(0);
    const runId = JSON.parse(await readFile(join(dir, 's.json'), 'utf8')).runId;
    const stored = await readFile(join(dir, 'store', 'runs', runId, 'report.html'), 'utf8'); // written by the run itself
    expect(stored).toMatch(/<svg/);
    expect(
      await main(['report', runId, '--store', join(dir, 'store'), '--out', join(dir, 'report.html')], quiet()),
    ).toBe(0);

    const browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    try {
      const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(m.text());
      });
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(`file://${join(dir, 'report.html')}`);
      expect(errors).toEqual([]);
      expect(await page.locator('h1').innerText()).toContain(runId);
      expect(await page.locator('figure svg').count()).toBeGreaterThanOrEqual(6);
      const images = page.locator('.grid img');
      expect(await images.count()).toBeGreaterThan(0);
      expect(await images.first().evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)).toBe(
        10,
      );
      expect(await page.locator('text=Lineage').count()).toBe(1);
      await mkdir('test-output', { recursive: true });
      await page.screenshot({ path: 'test-output/report.png', fullPage: true });
    } finally {
      await browser.close();
    }
  }, 120_000);
});
