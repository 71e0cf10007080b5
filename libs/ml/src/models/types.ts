// What every model builder receives: the compiled model spec plus the data's shape.
export interface BuildOptions {
  /** [H, W, C] for images, [D] for tabular rows. */
  inputShape: number[];
  classes: number;
  width: number;
  depth: number;
  /** Dropout before the classifier; null = the family's default. */
  dropout: number | null;
  stochasticDepth: number;
  hidden: number[];
  /** Seeds initialisers and noise layers. */
  seed: number;
}
