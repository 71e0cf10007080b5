// The experiment file: one schema, defaults documented on every field, unknown keys rejected
// with their path, compiled (defaults merged, derived values filled in) and frozen. The compiled
// form is written into every artifact's metadata.
import { z } from 'zod';
import { ConfigError } from './errors.js';
import { gridBin } from './grid.js';

const positiveInt = z.number().int().positive();
const fraction = z.number().min(0).max(1);

/** Model families. `wrn-28-<k>` is WRN-28-k; `efficientnet-b<i>` is EfficientNet-Bi. */
export const MODEL_NAMES = [
  'cnn-small',
  'mlp',
  'wrn-28-1',
  'wrn-28-2',
  'wrn-28-4',
  'wrn-28-8',
  'wrn-28-10',
  ...[0, 1, 2, 3, 4, 5, 6, 7].map((i) => `efficientnet-b${i}`),
] as const;

export const ModelSpecSchema = z.strictObject({
  /** Model family and size. @default 'cnn-small' */
  name: z.string().default('cnn-small'),
  /** Width multiplier on every layer's channels (students may be wider), at most 16. @default 1 */
  width: z.number().positive().max(16).default(1),
  /** Depth multiplier on the number of blocks (students may be deeper), at most 8. @default 1 */
  depth: z.number().positive().max(8).default(1),
  /** Dropout before the classifier; null = the model's default (EfficientNet per size, 0.2 else). */
  dropout: fraction.nullable().default(null),
  /** Final stochastic-depth drop rate (linear over blocks, identity-skip blocks only). @default 0.2 */
  stochasticDepth: fraction.default(0.2),
  /** Hidden layer widths of the MLP (before the width multiplier): at most 16 layers of 65,536. @default [256, 128] */
  hidden: z.array(positiveInt.max(65_536)).max(16).default([256, 128]),
  /**
   * Input side in pixels on datasets of encoded pictures (cropped and resized to it). Absent: the
   * EfficientNet size's own (B0 224, B1 240, B2 260, B3 300, B4 380, B5 456, B6 528, B7 600), else
   * the dataset's picture size. Datasets of raw pixels (IDX, synthetic) ignore it.
   */
  resolution: positiveInt.max(4096).optional(),
});

const RandAugmentSchema = z.strictObject({
  /** N: ops applied per image. @default 2 */
  layers: z.number().int().min(0).default(2),
  /** M: fixed magnitude (0..30, the spec's level table). @default 5 */
  magnitude: z.number().min(0).max(30).default(5),
  /** Include Cutout among the 16 ops. @default true */
  cutoutOp: z.boolean().default(true),
  /** Small images: the original's extra cutout of size/4 after RandAugment. @default true */
  extraCutout: z.boolean().default(true),
});

const TabularNoiseSchema = z.strictObject({
  /** Std of Gaussian noise added to standardized numeric features. @default 0.1 */
  gaussian: z.number().min(0).default(0.1),
  /** Probability that a feature is replaced by the same feature of another row (swap noise). @default 0.1 */
  swap: fraction.default(0.1),
});

const TrainCheckpointSchema = z.strictObject({
  /** Write one every this many steps (0: not by count). @default 0 */
  everySteps: z.number().int().min(0).default(0),
  /** ...or once this many minutes passed since the last one (0: not by time). @default 10 */
  everyMinutes: z.number().min(0).default(10),
});

export const TrainSpecSchema = z.strictObject({
  /** Labeled epochs (the original's unit: steps per epoch = labeled examples / batch). @default 30 */
  epochs: z.number().positive().max(100_000).default(30),
  /** Train exactly this many steps instead of `epochs`. */
  steps: positiveInt.max(100_000_000).nullable().default(null),
  /** Labeled batch size B. @default 64 */
  batchSize: positiveInt.max(65_536).default(64),
  /**
   * Unlabeled batch = ceil(B * unlabelRatio); also the unlabeled loss weight. 0 = supervised.
   * @default 3 for students
   */
  unlabelRatio: z.number().min(0).nullable().default(null),
  /** Learning rate per 256 labeled examples (scaled by B/256). @default 0.016 */
  learningRate: z.number().positive().default(0.016),
  /** Linear warm-up length in epochs. @default 5 */
  warmupEpochs: z.number().min(0).default(5),
  /** Staircase decay: rate every `decayEpochs`. @default 0.97 every 2.4 */
  decayRate: z.number().positive().max(1).default(0.97),
  decayEpochs: z.number().positive().default(2.4),
  /** If set, choose decayEpochs so that the LR ends here (the original's final_base_lr). */
  finalLearningRate: z.number().positive().nullable().default(null),
  /** Coefficient on sum of 1/2 ||w||^2 over non-batch-norm weights. @default 1e-5 */
  weightDecay: z.number().min(0).default(1e-5),
  /** Label smoothing for labeled and hard pseudo-labeled targets. @default 0.1 */
  labelSmoothing: fraction.default(0.1),
  /** EMA decay (with TF's num_updates warm-up); EMA weights evaluate and predict. @default 0.9999 */
  emaDecay: fraction.default(0.9999),
  /** Optimiser: TF-style RMSProp (decay 0.9, momentum 0.9, eps 1e-3) or Adam. @default 'rmsprop' */
  optimizer: z.enum(['rmsprop', 'adam']).default('rmsprop'),
  /** Input noise for images; null = only the small-image pad-crop. */
  randAugment: RandAugmentSchema.nullable().prefault({}),
  /** RandAugment for the pseudo-labeled images: 'same' as `randAugment` (the original), null = none, or its own. @default 'same' */
  unlabeledRandAugment: z.union([z.literal('same'), RandAugmentSchema.nullable()]).default('same'),
  /** Random horizontal flips of training images (the original flips all but SVHN). @default false */
  flip: z.boolean().default(false),
  /**
   * Reflect-pad (size/8, 4 px for small images) and random-crop back, as the original's training
   * preprocessing. @default true
   */
  padCrop: z.boolean().default(true),
  /** Input noise for tabular rows. */
  tabularNoise: TabularNoiseSchema.prefault({}),
  /** Initialise the student from the teacher's EMA weights (same architecture only). @default false */
  initFromTeacher: z.boolean().default(false),
  /**
   * Data-parallel ranks of this train step (one process, or one GPU pod, each); `batchSize` stays
   * the global batch and each rank trains on its slice. @default 1
   */
  replicas: z.number().int().min(1).max(64).default(1),
  /** Resumable in-training checkpoints: a retried train task continues from the last one. */
  checkpoint: TrainCheckpointSchema.prefault({}),
});

const FashionMnistSource = z.strictObject({
  kind: z.literal('fashion-mnist'),
  /** IDX directory; default /usr/share/datasets/fashion-mnist, else the download cache. */
  dir: z.string().nullable().default(null),
});
const IdxSource = z.strictObject({
  kind: z.literal('idx'),
  trainImages: z.string(),
  trainLabels: z.string(),
  testImages: z.string(),
  testLabels: z.string(),
  classNames: z.array(z.string()).nullable().default(null),
});
const ImageFolderSource = z.strictObject({
  kind: z.literal('image-folder'),
  /** `<class>/<image>.png|jpg` folders. */
  train: z.string(),
  test: z.string(),
  /** Optional folder of unlabeled images (flat or nested); default: the non-labeled part of train. */
  unlabeled: z.string().nullable().default(null),
  /** Resize every image to [height, width]. */
  size: z.tuple([positiveInt, positiveInt]).nullable().default(null),
  channels: z.union([z.literal(1), z.literal(3)]).default(3),
  /**
   * 'encoded': shards keep the JPEG/PNG bytes and training crops them at the model's resolution every
   * step; 'pixels': decoded (and resized) once at ingest. Absent ('auto'): encoded when the first
   * picture is larger than 64 px on a side (and, for folders, no `size` is set), else pixels.
   */
  pictures: z.enum(['auto', 'encoded', 'pixels']).optional(),
});
const TFRecordSource = z.strictObject({
  kind: z.literal('tfrecord'),
  /**
   * Directory of train-* and test-* (or dev-*) shards: 1-based image/class/label, JPEG/PNG
   * image/encoded; or `store:<prefix>`: those shards as objects of the run's store.
   */
  dir: z.string(),
  /** Directory (or `store:<prefix>`) of unlabeled extra-* (or train-*) shards, e.g. the original's proc/unlabeled. */
  unlabeled: z.string().nullable().default(null),
  channels: z.union([z.literal(1), z.literal(3)]).default(3),
  classNames: z.array(z.string()).nullable().default(null),
  /**
   * 'encoded': shards keep the JPEG/PNG bytes and training crops them at the model's resolution every
   * step; 'pixels': decoded (and resized) once at ingest. Absent ('auto'): encoded when the first
   * picture is larger than 64 px on a side (and, for folders, no `size` is set), else pixels.
   */
  pictures: z.enum(['auto', 'encoded', 'pixels']).optional(),
  /**
   * Read the train files (under labeledPerClass 'all', with no dev record in them), the test files
   * and the unlabeled folder's files in place instead of copying them, where nothing must be
   * re-encoded (encoded pictures, a file taken whole): every worker that reads the dataset then
   * needs this path mounted. @default false
   */
  readInPlace: z.boolean().optional(),
});
const SyntheticSource = z.strictObject({
  kind: z.literal('synthetic'),
  classes: positiveInt.default(4),
  size: positiveInt.default(12),
  channels: z.union([z.literal(1), z.literal(3)]).default(1),
  train: positiveInt.default(400),
  test: positiveInt.default(200),
});
const TableSource = z.strictObject({
  kind: z.literal('table'),
  /** Training rows: CSV/TSV with a header row, or ARFF; `.gz` is read too. Rows with an empty label are unlabeled. */
  train: z.string(),
  /** Test rows (same columns); null = hold out `testFraction` of the labeled training rows, chosen by seed. */
  test: z.string().nullable().default(null),
  testFraction: z.number().gt(0).lt(1).default(0.2),
  /** Extra unlabeled rows (the label column may be absent). */
  unlabeled: z.string().nullable().default(null),
  /** Label column; null = ARFF's last attribute, else a column named label or class, else the last column. */
  label: z.string().nullable().default(null),
  /** Column holding example ids; null = `<file>:<line>`. */
  id: z.string().nullable().default(null),
  /** Declared column types; undeclared columns are inferred (all values numbers -> numeric, else categorical). */
  columns: z.record(z.string(), z.enum(['numeric', 'categorical', 'ignore'])).default({}),
  /** Field separator (one printable character or tab); null = tab for .tsv, comma otherwise. */
  delimiter: z
    .string()
    .length(1)
    .regex(/^[^\p{Cc}]$|^\t$/u, 'must be one printable character or a tab (not NUL, not a newline)')
    .nullable()
    .default(null),
  /** CSV files start with a header row (else columns are named c0, c1, ...). @default true */
  header: z.boolean().default(true),
  /** Field values that mean missing. */
  missing: z.array(z.string()).default(['', 'NA', 'N/A', '?', 'null']),
  /** Class order; null = ARFF's declared order, else the sorted training labels. */
  classNames: z.array(z.string()).nullable().default(null),
  /** A text column with more distinct values than this is an error (declare it id or ignore). @default 100 */
  maxCategories: positiveInt.default(100),
});
export const DataSpecSchema = z.strictObject({
  source: z.discriminatedUnion('kind', [
    FashionMnistSource,
    IdxSource,
    ImageFolderSource,
    TFRecordSource,
    SyntheticSource,
    TableSource,
  ]),
  /**
   * Labeled examples per class, chosen by seed from the training split; 'all' = every labeled
   * training example (classes of any size, as the original's SVHN and ImageNet recipes). @default 100
   */
  labeledPerClass: z.union([positiveInt, z.literal('all')]).default(100),
  /** Unlabeled examples: the rest of the training split, or at most this many. @default 'rest' */
  unlabeled: z.union([z.literal('rest'), positiveInt]).default('rest'),
  /** Number of unlabeled shards (units of parallel prediction and filtering). @default 8 */
  unlabeledShards: positiveInt.default(8),
  /**
   * Dev split carved (seeded) from the training data before the labeled and unlabeled parts: never
   * trained on; every generation is evaluated on it, and settings are chosen on it instead of test.
   * A count, a fraction of the training split, or 'auto': 5,000 on fashion-mnist, none elsewhere.
   * @default 'auto'
   */
  dev: z.union([z.literal('auto'), z.number().int().min(0), z.number().gt(0).lt(1)]).default('auto'),
  /** Evaluate on at most this many test examples (null = all). */
  testLimit: positiveInt.nullable().default(null),
});

/** The dev split's size for a training split of `trainCount` examples (`data.dev` resolved). */
export function devCount(data: DataSpec, trainCount: number): number {
  const d = data.dev;
  if (d === 'auto') return data.source.kind === 'fashion-mnist' ? Math.min(5000, trainCount) : 0;
  return Number.isInteger(d) ? Math.min(d, trainCount) : Math.round(d * trainCount);
}

export const FilterSpecSchema = z.strictObject({
  /** Lowest per-class threshold (must be on the 0.01 grid). @default 0.3 */
  minThreshold: fraction.default(0.3),
  /** Target images per class N; 'auto' = unlabeled count / classes. @default 'auto' */
  perClass: z.union([z.literal('auto'), positiveInt]).default('auto'),
  /** balanced (the original), use-all (keep all above threshold once), top-n (exact N most confident). */
  mode: z.enum(['balanced', 'use-all', 'top-n']).default('balanced'),
  /** Duplicate images of under-represented classes. @default true */
  upsample: z.boolean().default(true),
  /** Images in filtered shards: raw pixels, or JPEG `image/encoded` as the original's filter output. @default 'raw' */
  encode: z.enum(['raw', 'jpeg']).default('raw'),
});

const PseudoLabelSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('soft'), temperature: z.number().positive().default(1) }),
  z.strictObject({ kind: z.literal('hard') }),
]);

type WithoutDefault<S extends z.ZodType> =
  S extends z.ZodDefault<infer I> ? I : S extends z.ZodPrefault<infer I> ? I : S;
type OverrideShape<Shape extends Record<string, z.ZodType>> = {
  [K in keyof Shape]: z.ZodOptional<WithoutDefault<Shape[K]>>;
};

/** A stage's `train`: every field optional and without a default, so the parsed value holds exactly the keys set. */
function overridesOf<Shape extends Record<string, z.ZodType>>(shape: Shape) {
  const fields = Object.entries(shape).map(([k, s]) => {
    const inner = s instanceof z.ZodDefault || s instanceof z.ZodPrefault ? s.unwrap() : s;
    return [k, (inner as z.ZodType).optional()];
  });
  return z.strictObject(Object.fromEntries(fields) as OverrideShape<Shape>);
}

const TrainOverride = overridesOf(TrainSpecSchema.shape);
const StageSchema = z.strictObject({ model: ModelSpecSchema.prefault({}), train: TrainOverride.prefault({}) });
const TeacherSchema = StageSchema.extend({
  /**
   * Start from this checkpoint (a store key such as runs/<id>/gen-2/model, or its folder on disk)
   * instead of training a teacher; its inputs and classes must match the data. @default null
   */
  checkpoint: z.string().min(1).nullable().default(null),
});

export const ExperimentSchema = z.strictObject({
  /** Human name, also the run-id prefix. */
  name: z
    .string()
    .regex(/^[a-z0-9][a-z0-9._-]*$/i, 'letters, digits, . _ -')
    .default('experiment'),
  /** Seeds every random choice of the run. @default 0 */
  seed: z.number().int().min(0).default(0),
  /** tfjs backend: auto picks node-gpu -> node -> wasm -> cpu. @default 'auto' */
  backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']).default('auto'),
  data: DataSpecSchema,
  /** Training settings shared by the teacher and every student (each may override). */
  train: TrainSpecSchema.prefault({}),
  teacher: TeacherSchema.prefault({}),
  /** One entry per student generation; each is the next generation's teacher. */
  students: z.array(StageSchema).min(1),
  filter: FilterSpecSchema.prefault({}),
  pseudoLabels: PseudoLabelSchema.prefault({ kind: 'soft' }),
  /**
   * offline: stored predictions, filtered and balanced (default, resumable). online: the teacher
   * predicts inside training.
   */
  mode: z.enum(['offline', 'online']).default('offline'),
  /** Batch size for prediction and evaluation. @default 256 */
  predictBatchSize: positiveInt.default(256),
});

export type ModelSpec = z.infer<typeof ModelSpecSchema>;
export type TrainSpec = z.infer<typeof TrainSpecSchema>;
export type DataSpec = z.infer<typeof DataSpecSchema>;
export type DataSource = DataSpec['source'];
export type FilterSpec = z.infer<typeof FilterSpecSchema>;
export type PseudoLabelSpec = z.infer<typeof PseudoLabelSchema>;
export type RawExperiment = z.input<typeof ExperimentSchema>;

/** A stage's train settings, shared defaults merged in and the unlabeled ratio resolved (0 for the teacher). */
export type CompiledTrainSpec = TrainSpec & { unlabelRatio: number };

/** A fully resolved stage: the model and the train settings with shared defaults merged in. */
export interface CompiledStage {
  readonly generation: number;
  readonly role: 'teacher' | 'student';
  readonly model: ModelSpec;
  readonly train: CompiledTrainSpec;
}

/** The validated, defaulted, frozen experiment. */
export interface CompiledExperiment {
  readonly name: string;
  readonly seed: number;
  readonly backend: 'auto' | 'tensorflow' | 'wasm' | 'cpu';
  readonly data: DataSpec;
  readonly stages: readonly CompiledStage[];
  /** Generation 0 is this checkpoint, not trained (`teacher.checkpoint`); absent when unset. */
  readonly teacherCheckpoint?: string;
  readonly filter: FilterSpec;
  readonly pseudoLabels: PseudoLabelSpec;
  readonly mode: 'offline' | 'online';
  readonly predictBatchSize: number;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/**
 * The compiled form as run records store it, checked when read back (the store's JSON carries no
 * types) and frozen again. Key order follows `compileExperiment`, so a round trip serialises
 * byte-identically.
 */
export const CompiledExperimentSchema: z.ZodType<CompiledExperiment> = z
  .strictObject({
    name: z.string(),
    seed: z.number().int().min(0),
    backend: z.enum(['auto', 'tensorflow', 'wasm', 'cpu']),
    data: DataSpecSchema,
    stages: z
      .array(
        z.strictObject({
          generation: z.number().int().min(0),
          role: z.enum(['teacher', 'student']),
          model: ModelSpecSchema,
          train: TrainSpecSchema.extend({ unlabelRatio: z.number().min(0) }),
        }),
      )
      .min(2),
    teacherCheckpoint: z.string().optional(),
    filter: FilterSpecSchema,
    pseudoLabels: PseudoLabelSchema,
    mode: z.enum(['offline', 'online']),
    predictBatchSize: positiveInt,
  })
  .transform((e) => deepFreeze(e));

/** Validate and compile an experiment; throws ConfigError naming every bad field path. */
export function compileExperiment(raw: unknown): CompiledExperiment {
  const parsed = ExperimentSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => {
      const path = i.path.join('.') || '(root)';
      const extra = i.code === 'unrecognized_keys' ? ` (${(i as { keys: string[] }).keys.join(', ')})` : '';
      return `${path}: ${i.message}${extra}`;
    });
    const first = parsed.error.issues[0];
    throw new ConfigError(first?.path.join('.') ?? '', `invalid experiment:\n  ${lines.join('\n  ')}`);
  }
  const e = parsed.data;
  const stageOf = (s: z.infer<typeof StageSchema>, generation: number): CompiledStage => {
    // The override schema has no defaults: its parsed value holds only the keys the stage set.
    const overrides = Object.fromEntries(Object.entries(s.train).filter(([, v]) => v !== undefined));
    const train: TrainSpec = { ...e.train, ...overrides };
    const unlabelRatio = generation === 0 ? 0 : (train.unlabelRatio ?? 3);
    const where = generation === 0 ? 'teacher' : `students.${generation - 1}`;
    if (!(MODEL_NAMES as readonly string[]).includes(s.model.name)) {
      throw new ConfigError(
        `${where}.model.name`,
        `unknown model '${s.model.name}'; expected one of ${MODEL_NAMES.join(', ')}`,
      );
    }
    const tabular = e.data.source.kind === 'table';
    if (tabular !== (s.model.name === 'mlp')) {
      throw new ConfigError(
        `${where}.model.name`,
        tabular
          ? `'${s.model.name}' takes images; table data needs model 'mlp'`
          : `'mlp' takes table rows; image data needs an image model (cnn-small, wrn-28-k, efficientnet-bN)`,
      );
    }
    return {
      generation,
      role: generation === 0 ? 'teacher' : 'student',
      model: s.model,
      train: { ...train, unlabelRatio },
    };
  };
  const stages = [stageOf(e.teacher, 0), ...e.students.map((s, i) => stageOf(s, i + 1))];
  if (gridBin(e.filter.minThreshold) === null) {
    throw new ConfigError('filter.minThreshold', `must lie on the 0.01 grid, got ${e.filter.minThreshold}`);
  }
  return deepFreeze({
    name: e.name,
    seed: e.seed,
    backend: e.backend,
    data: e.data,
    stages,
    ...(e.teacher.checkpoint ? { teacherCheckpoint: e.teacher.checkpoint } : {}),
    filter: e.filter,
    pseudoLabels: e.pseudoLabels,
    mode: e.mode,
    predictBatchSize: e.predictBatchSize,
  });
}
