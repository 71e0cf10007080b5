// @noisy/data: TFRecord shards, tf.train.Example, IDX, image decoding, datasets.
export * from './crc32c.js';
export * from './example.js';
export * from './tfrecord.js';
export * from './idx.js';
export * from './image.js';
export * from './sample.js';
