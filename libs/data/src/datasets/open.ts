// Open the source dataset an experiment names.
import type { DataSource } from '@noisy/core';
import { openImageFolder } from './folder-source.js';
import { openFashionMnist, openIdxSource } from './idx-source.js';
import type { SourceObjects } from './source-objects.js';
import type { SourceDataset } from './source.js';
import { openSynthetic } from './synthetic-source.js';
import { openTableSource } from './table-source.js';
import { openTFRecordSource } from './tfrecord-source.js';

export interface OpenSourceOptions {
  seed: number;
  allowDownload: boolean;
  cacheDir?: string;
  /** The store that `store:` source paths are read from (ingest: the run's own). */
  objects?: SourceObjects;
}

export async function openSource(source: DataSource, o: OpenSourceOptions): Promise<SourceDataset> {
  switch (source.kind) {
    case 'fashion-mnist':
      return openFashionMnist({ dir: source.dir, allowDownload: o.allowDownload, cacheDir: o.cacheDir });
    case 'idx':
      return openIdxSource('idx', source, source.classNames);
    case 'image-folder':
      return openImageFolder(source.train, source.test, source.unlabeled, {
        size: source.size,
        channels: source.channels,
        pictures: source.pictures,
      });
    case 'synthetic':
      return openSynthetic({ ...source, seed: o.seed });
    case 'tfrecord':
      return openTFRecordSource({
        dir: source.dir,
        unlabeledDir: source.unlabeled,
        channels: source.channels,
        classNames: source.classNames,
        pictures: source.pictures,
      });
    case 'table':
      return openTableSource(source, o.seed);
    default: {
      const never: never = source;
      throw new Error(`unknown data source ${JSON.stringify(never)}`);
    }
  }
}
