// The original's learning-rate schedule (spec §3.3): LR scaled per 256 labeled examples, linear
// warm-up over warmupEpochs, staircase decay by decayRate every decayEpochs counted from step 0.
export interface ScheduleOptions {
  learningRate: number;
  batchSize: number;
  stepsPerEpoch: number;
  warmupEpochs: number;
  decayRate: number;
  decayEpochs: number;
  finalLearningRate: number | null;
  totalSteps: number;
}

/** decayEpochs that makes the LR end near finalLearningRate (the original's final_base_lr rule). */
export function decayEpochsFor(o: ScheduleOptions): number {
  if (o.finalLearningRate === null) return o.decayEpochs;
  const totalEpochs = o.totalSteps / o.stepsPerEpoch - o.warmupEpochs;
  const decayTimes = Math.log(o.finalLearningRate / o.learningRate) / Math.log(o.decayRate);
  return decayTimes > 0 ? Math.max(totalEpochs / decayTimes, 1e-6) : o.decayEpochs;
}

export function learningRateAt(step: number, o: ScheduleOptions): number {
  const scaled = (o.learningRate * o.batchSize) / 256;
  const warmupSteps = o.warmupEpochs * o.stepsPerEpoch;
  if (step < warmupSteps) return (scaled * step) / warmupSteps;
  const decaySteps = decayEpochsFor(o) * o.stepsPerEpoch;
  return scaled * o.decayRate ** Math.floor(step / decaySteps);
}
