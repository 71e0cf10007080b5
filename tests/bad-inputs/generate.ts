// Writes the bad-input corpus: one folder per case with its inputs and case.yaml (the command,
// and a pattern the error must match: it names the input and the problem). Committed output;
// rerun after changing a case:  node --import tsx tests/bad-inputs/generate.ts
import * as tf from '@tensorflow/tfjs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { crc32 } from 'node:zlib';
import { dirname, join } from 'node:path';
import { stringify } from 'yaml';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { encodePng, encodeSample, encodeTFRecords, type Image } from '@noisy/data';
import { buildModel, commitCheckpoint, computeStats, saveCheckpoint } from '@noisy/ml';
import { openLocalStore } from '@noisy/platform';

const root = dirname(new URL(import.meta.url).pathname);
const files: Record<string, Record<string, string | Uint8Array>> = {};
const cases: Record<string, { what: string; command: string[]; error: string }> = {};
const add = (name: string, what: string, command: string[], error: string, inputs: Record<string, string | Uint8Array>) => {
  cases[name] = { what, command, error };
  files[name] = inputs;
};

const img = (size: number, v: number): Image => ({ height: size, width: size, channels: 1, data: new Uint8Array(size * size).fill(v) });
const png = (size: number, v: number) => encodePng(img(size, v));
const folder = (prefix: string, classes: string[], per = 2, size = 8) => Object.fromEntries(classes.flatMap((c, k) => Array.from({ length: per }, (_, i) => [`${prefix}/${c}/${c}-${i}.png`, png(size, 40 + 60 * k + i)])));
const idx = (dims: number[], data: Uint8Array) => {
  const head = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(head.buffer);
  view.setUint8(2, 0x08);
  view.setUint8(3, dims.length);
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  return new Uint8Array([...head, ...data]);
};

const imageExperiment = (source: string, extra = '') => `name: bad
data:
  source: ${source}
  labeledPerClass: 1
  unlabeledShards: 1
train: { epochs: 1, batchSize: 2 }
teacher: { model: { name: cnn-small, width: 0.25 } }
students: [ { model: { name: cnn-small, width: 0.25 } } ]
${extra}`;
const folderSource = '{ kind: image-folder, train: train, test: test, channels: 1 }';
const tableExperiment = (source: string) => `name: bad
data:
  source: ${source}
  labeledPerClass: 1
  unlabeledShards: 1
train: { epochs: 1, batchSize: 2 }
teacher: { model: { name: mlp, hidden: [4] } }
students: [ { model: { name: mlp, hidden: [4] } } ]
`;
const csv = 'a,b,label\n1,2,x\n2,3,y\n3,1,x\n4,0,y\n5,5,x\n';
const run = ['run', 'exp.yaml', '--offline'];

// Experiment files.
const ok = imageExperiment(folderSource);
const goodFolders = { ...folder('train', ['cat', 'dog']), ...folder('test', ['cat', 'dog'], 1) };
add('experiment-typo-key', 'an experiment file with a misspelt key', run, 'teacher: Unrecognized key.*modle', { 'exp.yaml': ok.replace('teacher: { model:', 'teacher: { modle:'), ...goodFolders });
add('experiment-negative-count', 'a negative labeled count', run, 'data\\.labeledPerClass: .*(>0|positive|greater)', { 'exp.yaml': ok.replace('labeledPerClass: 1', 'labeledPerClass: -5'), ...goodFolders });
add('experiment-negative-unlabel-ratio', 'unlabel_ratio below zero', run, 'students\\.0\\.train\\.unlabelRatio', { 'exp.yaml': ok.replace('students: [ { model: { name: cnn-small, width: 0.25 } } ]', 'students: [ { model: { name: cnn-small }, train: { unlabelRatio: -1 } } ]'), ...goodFolders });
add('experiment-unknown-model', 'a model name that does not exist', run, "teacher\\.model\\.name: unknown model 'resnet-9'", { 'exp.yaml': ok.replace('{ name: cnn-small, width: 0.25 } }\nstudents', '{ name: resnet-9 } }\nstudents'), ...goodFolders });
add('experiment-yaml-syntax', 'an experiment file that is not valid YAML', run, 'exp\\.yaml.*(line|YAML)', { 'exp.yaml': 'name: bad\ndata: { source: { kind: synthetic }\nteacher: [\n' });
add('experiment-no-students', 'no student generation', run, 'students: .*(at least|>=|too small)', { 'exp.yaml': ok.replace(/students: .*\n/, 'students: []\n'), ...goodFolders });
add('experiment-mlp-on-images', 'a table model asked to train on images', run, "teacher\\.model\\.name: 'mlp' takes table rows", { 'exp.yaml': ok.replace('teacher: { model: { name: cnn-small, width: 0.25 } }', 'teacher: { model: { name: mlp } }'), ...goodFolders });
add('experiment-missing-dataset-file', 'a dataset file that does not exist', run, 'no-such-images\\.idx: cannot read IDX file: ENOENT', { 'exp.yaml': imageExperiment('{ kind: idx, trainImages: no-such-images.idx, trainLabels: l.idx, testImages: t.idx, testLabels: tl.idx }') });

// Images.
const truncated = png(8, 90);
add('png-truncated', 'a truncated PNG in the training folder', run, 'train/dog/dog-1\\.png: cannot decode image: truncated or corrupt PNG', { 'exp.yaml': ok, ...goodFolders, 'train/dog/dog-1.png': truncated.subarray(0, truncated.length - 20) });
add('png-not-an-image', 'a text file named .png', run, 'train/cat/cat-0\\.png: cannot decode image: neither PNG nor JPEG', { 'exp.yaml': ok, ...goodFolders, 'train/cat/cat-0.png': 'this is not an image\n' });
// The header of a 30,000 x 30,000 RGBA PNG (3.6 GB decoded) with a one-byte image stream.
const pngChunk = (type: string, data: Uint8Array) => {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, 'ascii');
  Buffer.from(data).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
};
const ihdr = Buffer.alloc(13);
ihdr.writeUInt32BE(30_000, 0);
ihdr.writeUInt32BE(30_000, 4);
ihdr.set([8, 6, 0, 0, 0], 8);
const hugePng = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), pngChunk('IHDR', ihdr), pngChunk('IDAT', Uint8Array.from([0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01])), pngChunk('IEND', new Uint8Array(0))]);
add('png-huge-dimensions', 'a PNG whose header claims 30,000 x 30,000 pixels', run, 'train/dog/dog-1\\.png: image is 30000x30000: larger than the limit', { 'exp.yaml': ok, ...goodFolders, 'train/dog/dog-1.png': hugePng });
add('folder-unknown-test-class', 'a class folder in test that train does not have', run, "test/zebra: class folder 'zebra' is not among the training classes", { 'exp.yaml': ok, ...goodFolders, ...folder('test', ['zebra'], 1) });
add('folder-wrong-image-size', 'one image of another size', run, 'train/dog/dog-0\\.png: image is 12x12 but the dataset\'s images are 8x8', { 'exp.yaml': ok, ...goodFolders, 'train/dog/dog-0.png': png(12, 7) });
add('folder-empty-dataset', 'class folders without images', run, 'train: contains no \\.png or \\.jpg images', { 'exp.yaml': ok, 'train/cat/readme.txt': 'empty\n', 'train/dog/readme.txt': 'empty\n', ...folder('test', ['cat', 'dog'], 1) });

// TFRecord and IDX.
const records = encodeTFRecords([0, 1, 0, 1].map((k, i) => encodeSample({ id: `r${i}`, image: img(8, 50 + 100 * k), label: k })));
const flipped = Uint8Array.from(records);
flipped[30] ^= 0xff;
const tfSource = '{ kind: tfrecord, dir: shards, channels: 1 }';
add('tfrecord-corrupt-crc', 'a TFRecord shard with a flipped byte', run, 'train-00000-of-00001 \\(record 0\\): data CRC mismatch', { 'exp.yaml': imageExperiment(tfSource), 'shards/train-00000-of-00001': flipped, 'shards/test-00000-of-00001': records });
// Records whose CRCs are right but whose tf.train.Example is not: an unknown fixed64 field cut short
// at the end (wire type 1), and a packed float list of 6 bytes (a float and a half).
const sample0 = encodeSample({ id: 'r0', image: img(8, 50), label: 0 });
const cutFloats = (() => {
  const w = new BinaryWriter();
  const LD = WireType.LengthDelimited;
  w.tag(1, LD).fork().tag(1, LD).fork().tag(1, LD).string('probabilities').tag(2, LD).fork();
  w.tag(2, LD).fork().tag(1, LD).bytes(new Uint8Array(6));
  return w.join().join().join().join().finish();
})();
const withRecord0 = (bad: Uint8Array) => encodeTFRecords([bad, ...[1, 0, 1].map((k, i) => encodeSample({ id: `r${i + 1}`, image: img(8, 50 + 100 * k), label: k }))]);
add('tfrecord-example-field-past-end', 'a tf.train.Example whose last field runs past its end', run, 'train-00000-of-00001 \\(record 0\\): malformed tf\\.train\\.Example \\(premature EOF\\)', { 'exp.yaml': imageExperiment(tfSource), 'shards/train-00000-of-00001': withRecord0(Uint8Array.from([...sample0, 0x11, 1, 2, 3])), 'shards/test-00000-of-00001': records });
add('tfrecord-example-float-list-cut', 'a packed float list whose length is not a multiple of 4', run, 'train-00000-of-00001 \\(record 0\\): packed float list of 6 bytes', { 'exp.yaml': imageExperiment(tfSource), 'shards/train-00000-of-00001': withRecord0(Uint8Array.from([...sample0, ...cutFloats])), 'shards/test-00000-of-00001': records });
add('tfrecord-truncated', 'a TFRecord shard cut short', run, 'train-00000-of-00001 \\(record 3\\): truncated record', { 'exp.yaml': imageExperiment(tfSource), 'shards/train-00000-of-00001': records.subarray(0, records.length - 7), 'shards/test-00000-of-00001': records });
const badLength = Uint8Array.from(records);
badLength[records.length / 4 + 7] = 0x40; // record 1's length field (records are equal-sized): no CRC matches
add('tfrecord-corrupt-length', 'a TFRecord shard whose length field is corrupt', run, 'train-00000-of-00001 \\(record 1\\): length CRC mismatch', { 'exp.yaml': imageExperiment(tfSource), 'shards/train-00000-of-00001': badLength, 'shards/test-00000-of-00001': records });
const idxSource = '{ kind: idx, trainImages: train-images.idx, trainLabels: train-labels.idx, testImages: train-images.idx, testLabels: train-labels.idx }';
add('idx-label-count-mismatch', 'IDX labels fewer than images', run, 'train-labels\\.idx: has 3 labels but .*train-images\\.idx has 4 images', { 'exp.yaml': imageExperiment(idxSource), 'train-images.idx': idx([4, 8, 8], new Uint8Array(256).fill(9)), 'train-labels.idx': idx([3], Uint8Array.from([0, 1, 0])) });

// Tables.
const tableSource = (train: string, extra = '') => `{ kind: table, train: ${train}, testFraction: 0.4${extra} }`;
add('csv-ragged-row', 'a CSV row with a missing field', run, 'train\\.csv:4: row has 2 fields but the header has 3 columns', { 'exp.yaml': tableExperiment(tableSource('train.csv')), 'train.csv': csv.replace('3,1,x', '3,x') });
add('csv-nan-feature', 'NaN in a numeric column', run, "train\\.csv:3: column 'b': 'NaN' is not a finite number", { 'exp.yaml': tableExperiment(tableSource('train.csv')), 'train.csv': csv.replace('2,3,y', '2,NaN,y') });
add('csv-empty-dataset', 'a CSV with a header and no rows', run, 'train\\.csv: has no data rows', { 'exp.yaml': tableExperiment(tableSource('train.csv')), 'train.csv': 'a,b,label\n' });
add('csv-unknown-test-label', 'a test label the training file does not have', run, "test\\.csv:3: label 'z' is not one of the classes", { 'exp.yaml': tableExperiment('{ kind: table, train: train.csv, test: test.csv }'), 'train.csv': csv, 'test.csv': 'a,b,label\n1,1,x\n2,2,z\n' });
add('csv-nul-delimiter', 'a NUL field delimiter (as for /proc/self/environ)', run, 'data\\.source\\.delimiter: must be one printable character or a tab', { 'exp.yaml': tableExperiment(tableSource('train.csv', ', delimiter: "\\0"')), 'train.csv': csv });
add('csv-missing-label-column', 'a label column that is not in the file', run, "data\\.source\\.label: column 'klass' is not in .*train\\.csv", { 'exp.yaml': tableExperiment(tableSource('train.csv', ', label: klass')), 'train.csv': csv });
add('csv-single-class', 'a label column with one class', run, "train\\.csv: label column 'label' has 1 class", { 'exp.yaml': tableExperiment(tableSource('train.csv')), 'train.csv': csv.replace(/,y\n/g, ',x\n') });
add('csv-bom-header', 'a CSV saved with a UTF-8 byte order mark (its first column must read "a", not "\\uFEFFa")', run, "column 'klass' is not in .*train\\.csv \\(columns: a, b, label\\)", { 'exp.yaml': tableExperiment(tableSource('train.csv', ', label: klass')), 'train.csv': `\uFEFF${csv}` });
add('csv-unclosed-quote', 'a quoted CSV field that is never closed', run, 'train\\.csv:3: a quoted field is never closed', { 'exp.yaml': tableExperiment(tableSource('train.csv')), 'train.csv': csv.replace('2,3,y', '2,"3,y') });
add('csv-not-gzip', 'a .csv.gz that is not gzip', run, 'train\\.csv\\.gz: is not valid gzip', { 'exp.yaml': tableExperiment(tableSource('train.csv.gz')), 'train.csv.gz': csv });
add('arff-unsupported-type', 'an ARFF attribute of an unknown type', run, "train\\.arff:3: attribute 'when' has unsupported type 'relational'", { 'exp.yaml': tableExperiment(tableSource('train.arff')), 'train.arff': '@relation r\n@attribute a numeric\n@attribute when relational\n@attribute class {x,y}\n@data\n1,2,x\n' });

// Checkpoints (predict). A tiny table model, saved as a real checkpoint in the case's store.
async function tableCheckpoint(dir: string, tamper: boolean, commit = true) {
  const store = await openLocalStore(`file://${join(dir, 'store')}`);
  const model = buildModel({ name: 'mlp', width: 1, depth: 1, dropout: null, stochasticDepth: 0, hidden: [4] }, { inputShape: [2], classes: 2 }, 7);
  const stats = computeStats({ kind: 'tabular', count: 2, shape: [2], features: Float32Array.from([0, 1, 2, 3]) });
  const encoding = { format: 'noisy-table/v1' as const, label: 'label', id: null, missing: [''], columns: [{ name: 'a', type: 'numeric' as const, fill: 0, indicator: false }, { name: 'b', type: 'numeric' as const, fill: 0, indicator: false }], featureNames: ['a', 'b'], classNames: ['x', 'y'] };
  await saveCheckpoint(store, 'model', model, { model: { name: 'mlp', width: 1, depth: 1 }, input: { kind: 'tabular', shape: [2], classes: 2, classNames: ['x', 'y'], stats, encoding }, config: {}, metrics: {}, parents: [] });
  model.dispose();
  if (commit) await commitCheckpoint(store, 'model');
  if (tamper) {
    const w = await store.get('model/weights.bin');
    w[0] ^= 0xff;
    await store.put('model/weights.bin', w);
  }
}
const predict = ['predict', '--model', 'model', '--input', 'rows.csv', '--out', 'out.csv', '--store', 'store'];
add('checkpoint-sha256-mismatch', 'a committed checkpoint whose weights were changed afterwards', predict, 'model/weights\\.bin: sha256 does not match the manifest', { 'rows.csv': csv });
add('checkpoint-uncommitted', 'a checkpoint saved but never committed (no manifest.json)', predict, 'model/manifest\\.json: no committed checkpoint here', { 'rows.csv': csv });
add('checkpoint-missing', 'a checkpoint path with nothing there', [...predict.slice(0, 2), 'nowhere', ...predict.slice(3)], 'nowhere/manifest\\.json: no committed checkpoint here', { 'rows.csv': csv, 'store/.keep': '' });
add('predict-images-into-table-model', 'images given to a table model', [...predict.slice(0, 4), 'pictures', ...predict.slice(5)], 'pictures: this model takes table rows', { ...folder('pictures', ['cat']) });
add('predict-table-missing-column', 'prediction rows without a feature column', predict, "rows\\.csv: has no column 'b'", { 'rows.csv': 'a,label\n1,x\n' });
// Flags (the parser): numbers are checked before any input is read, naming the flag. (`--flag=value`:
// the corpus test resolves separate values as paths in the case folder.)
add('cli-top-k-not-a-number', 'predict --top-k with a word', [...predict, '--top-k=abc'], "option '--top-k <n>' argument 'abc' is invalid", { 'rows.csv': csv });
add('cli-min-confidence-not-a-number', 'export --min-confidence with a word', ['export', 'some-run', '--generation=1', '--out', 'out.csv', '--label-issues', '--min-confidence=x', '--store', 'store'], "option '--min-confidence <p>' argument 'x' is invalid", { 'store/.keep': '' });

await tf.setBackend('cpu');
for (const [name, inputs] of Object.entries(files)) {
  const dir = join(root, name);
  await rm(dir, { recursive: true, force: true });
  for (const [file, content] of Object.entries(inputs)) {
    await mkdir(dirname(join(dir, file)), { recursive: true });
    await writeFile(join(dir, file), content);
  }
  await writeFile(join(dir, 'case.yaml'), stringify(cases[name]));
  if (name.startsWith('checkpoint-sha') || name.startsWith('checkpoint-uncommitted') || name.startsWith('predict-'))
    await tableCheckpoint(dir, name === 'checkpoint-sha256-mismatch', name !== 'checkpoint-uncommitted');
}
console.log(`${Object.keys(cases).length} cases in ${root}`);
