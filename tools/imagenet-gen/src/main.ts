// Generate an ImageNet-shaped TFRecord dataset (see generate.ts):
//   node --import tsx tools/imagenet-gen/src/main.ts --out data/imagenet-tiny \
//     [--classes 100] [--train-per-class 20] [--validation-per-class 5] [--train-shards 4] \
//     [--validation-shards 1] [--min-side 150] [--max-side 500] [--size 500x375] [--quality 90] [--seed 0]
import { parseArgs } from 'node:util';
import { generateImageNetLike } from './generate.js';

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    classes: { type: 'string', default: '100' },
    'train-per-class': { type: 'string', default: '20' },
    'validation-per-class': { type: 'string', default: '5' },
    'train-shards': { type: 'string', default: '4' },
    'validation-shards': { type: 'string', default: '1' },
    'min-side': { type: 'string', default: '150' },
    'max-side': { type: 'string', default: '500' },
    size: { type: 'string' },
    quality: { type: 'string', default: '90' },
    seed: { type: 'string', default: '0' },
  },
  strict: true,
});

function int(name: keyof typeof values): number {
  const v = Number(values[name]);
  if (!Number.isInteger(v) || v < 0) {
    process.stderr.write(`--${name} must be a non-negative integer; got ${values[name]}\n`);
    process.exit(2);
  }
  return v;
}

if (!values.out) {
  process.stderr.write('usage: main.ts --out DIR [options]; see the header of tools/imagenet-gen/src/main.ts\n');
  process.exit(2);
}
const size = values.size ? /^(\d+)x(\d+)$/.exec(values.size) : null;
if (values.size && !size) {
  process.stderr.write(`--size must be WIDTHxHEIGHT; got ${values.size}\n`);
  process.exit(2);
}
const t = performance.now();
const r = await generateImageNetLike({
  dir: values.out,
  classes: int('classes'),
  trainPerClass: int('train-per-class'),
  validationPerClass: int('validation-per-class'),
  trainShards: int('train-shards'),
  validationShards: int('validation-shards'),
  sides: [int('min-side'), int('max-side')],
  fixedSize: size ? [Number(size[1]), Number(size[2])] : undefined,
  quality: int('quality'),
  seed: int('seed'),
});
const mb = (b: number) => (b / 1e6).toFixed(1);
process.stdout.write(
  `${values.out}: train ${r.train.records} records in ${r.train.files.length} shards (${mb(r.train.bytes)} MB), ` +
    `validation ${r.validation.records} in ${r.validation.files.length} (${mb(r.validation.bytes)} MB), ` +
    `${((performance.now() - t) / 1000).toFixed(1)} s\n`,
);
