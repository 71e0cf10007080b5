// @noisy/data: TFRecord shards, tf.train.Example, IDX, image decoding, datasets.
export * from './crc32c.js';
export * from './example.js';
export * from './tfrecord.js';
export * from './idx.js';
export * from './image.js';
export * from './sample.js';
export * from './datasets/source.js';
export * from './datasets/idx-source.js';
export * from './datasets/folder-source.js';
export * from './datasets/synthetic-source.js';
export * from './datasets/open.js';
export * from './datasets/inputs.js';
export * from './datasets/tfrecord-source.js';
