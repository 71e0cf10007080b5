// The inference service's Predict, as a separate process over gRPC: a PNG whose header claims
// 30,000 x 30,000 pixels is refused (INVALID_ARGUMENT, naming the image and the limit; that this
// happens before decoding is checked in libs/data/src/limits.test.ts), and an ordinary image still
// predicts.
import * as grpc from '@grpc/grpc-js';
import { afterAll, describe, expect, it } from 'vitest';
import { compileExperiment } from '@noisy/core';
import { runKeys } from '@noisy/contracts';
import { stagesPb } from '@noisy/contracts/grpc';
import { encodePng, MAX_IMAGE_SIDE } from '@noisy/data';
import { selectBackend } from '@noisy/ml';
import { S3ObjectStore, parseS3Url } from '@noisy/platform/s3';
import { runEmbedded } from '@noisy/pipeline';
import { ServiceProcess, startNatsServer, startS3Server } from '@noisy/testing';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';

const cleanups: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const c of cleanups.reverse()) await c().catch(() => undefined);
});

describe('predict limits', () => {
  it('inference Predict - a 30,000x30,000 PNG is refused before decoding; an ordinary one is predicted', async () => {
    await selectBackend('wasm');
    const nats = await startNatsServer();
    cleanups.push(() => nats.stop());
    const s3 = await startS3Server();
    cleanups.push(() => s3.stop());
    const storeUrl = `s3://predict/runs?endpoint=${s3.endpoint}&pathStyle=true&checksums=when_required&create=true`;
    const store = await new S3ObjectStore(parseS3Url(storeUrl, s3.credentials)).open();
    const summary = await runEmbedded({
      store,
      experiment: compileExperiment({
        name: 'predict-limits',
        seed: 3,
        data: {
          source: { kind: 'synthetic', classes: 2, size: 8, train: 40, test: 10 },
          labeledPerClass: 5,
          unlabeledShards: 1,
        },
        train: { epochs: 1, batchSize: 8, randAugment: null, padCrop: false, warmupEpochs: 0 },
        teacher: { model: { name: 'cnn-small', width: 0.25 } },
        students: [{ model: { name: 'cnn-small', width: 0.25 } }],
      }),
    });
    const inference = await ServiceProcess.start('inference', {
      NOISY_NATS_URL: nats.url,
      NOISY_STORE_URL: storeUrl,
      AWS_ACCESS_KEY_ID: s3.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.credentials.secretAccessKey,
      NOISY_ALLOW_CPU_FOR_GPU_ROLE: 'true',
    });
    cleanups.push(() => inference.kill('SIGTERM'));
    const client = new stagesPb.InferenceServiceClient(
      `127.0.0.1:${inference.port}`,
      grpc.credentials.createInsecure(),
    );
    cleanups.push(async () => client.close());
    const predict = (images: Buffer[]) =>
      new Promise<stagesPb.PredictResponse>((resolve, reject) =>
        client.predict({ model: runKeys.model(summary.runId, 0), images, topK: 1 }, (err, res) =>
          err ? reject(err) : resolve(res!),
        ),
      );
    const huge = await readFile(
      join(import.meta.dirname, '..', 'bad-inputs', 'png-huge-dimensions', 'train', 'dog', 'dog-1.png'),
    );
    const small = Buffer.from(encodePng({ height: 8, width: 8, channels: 1, data: new Uint8Array(64).fill(120) }));

    const err = (await predict([small, huge]).catch((e: unknown) => e)) as grpc.ServiceError;
    expect(err.code).toBe(grpc.status.INVALID_ARGUMENT);
    expect(err.details).toBe(
      `images[1]: image is 30000x30000: larger than the limit (${MAX_IMAGE_SIDE} px a side, 100 megapixels)`,
    );
    const ok = await predict([small]);
    expect(ok.predictions).toHaveLength(1);
    expect(ok.predictions[0].classes).toHaveLength(1);
  }, 300_000);
});
