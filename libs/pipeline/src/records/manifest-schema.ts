// What every manifest shares (the envelope: kind, parts, counts, parents, config, data, timing)
// and a part's schema; the dataset description's is in dataset-info.ts. Each
// stage's payload schema lives beside the stage (stages/*-data.ts); stages/manifests.ts composes
// them into the registry of kinds, so this layer never imports the stages that write manifests.
import { z } from 'zod';

export interface Part {
  key: string;
  sha256: string;
  bytes: number;
  records: number;
  /** Read in place: the source file (on a mounted path) this part is, instead of an object of the store. */
  file?: string;
}

/** A committed manifest of kind `K` with payload `D` (stages/manifests.ts binds each kind to its payload). */
export interface ManifestEnvelope<K extends string = string, D = unknown> {
  kind: K;
  /** Parts written by the step (their content is fixed by the seed, so a rerun rewrites them identically). */
  parts: Part[];
  counts: Record<string, number>;
  /** Manifest keys this step read. */
  parents: string[];
  /** The configuration that determined the result. */
  config: unknown;
  /** Step-specific payload: a histogram, thresholds, metrics, dataset description. */
  data: D;
  /** Wall time; the only field that differs between identical reruns. */
  timing: { seconds: number };
  /** Set when the step was not run: its result was taken from this earlier manifest (step cache). */
  reusedFrom?: string;
}

/** The schema of a manifest: its envelope around a payload schema. */
export type EnvelopeSchema<K extends string = string, D = unknown> = z.ZodType<ManifestEnvelope<K, D>>;

export const count = z.number().int().min(0);
export const numbers = z.array(z.number());

export const PartSchema: z.ZodType<Part> = z.object({
  key: z.string().min(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  bytes: count,
  records: count,
  file: z.string().min(1).optional(),
});

/** The envelope of kind `kind` around the payload schema `data`. */
export function envelope<K extends string, D>(kind: K, data: z.ZodType<D>): EnvelopeSchema<K, D> {
  return z.object({
    kind: z.literal(kind),
    parts: z.array(PartSchema),
    counts: z.record(z.string(), z.number()),
    parents: z.array(z.string()),
    config: z.unknown(),
    data,
    timing: z.object({ seconds: z.number().min(0) }),
    reusedFrom: z.string().optional(),
  }) as unknown as EnvelopeSchema<K, D>;
}

/** A manifest of any kind, its payload unchecked (what verifying parts and the step cache need). */
export const AnyEnvelopeSchema: EnvelopeSchema = z.object({
  kind: z.string().min(1),
  parts: z.array(PartSchema),
  counts: z.record(z.string(), z.number()),
  parents: z.array(z.string()),
  config: z.unknown(),
  data: z.unknown(),
  timing: z.object({ seconds: z.number().min(0) }),
  reusedFrom: z.string().optional(),
}) as EnvelopeSchema;
