/**
 * A reference implementation of NAB's "windowed Gaussian" detector, written from its documented behaviour:
 * the score of a value is 1 - Q(|z|), Q the normal tail probability, z measured against the mean and
 * (population) standard deviation of a window of earlier values. The window grows to 6400 values, updated
 * after every value; once full it slides by 100 values at a time. A zero deviation counts as 1e-6. The very
 * first value scores 0. Used by the NAB scorer test and as the baseline in `npm run eval:nab`.
 */

const WINDOW = 6400;
const STEP = 100;

/** erfc(x) for x >= 0, to about double precision: a positive-term series below 3, a continued fraction above. */
export function erfc(x: number): number {
  if (Number.isNaN(x)) return NaN;
  if (x < 0) return 2 - erfc(-x);
  if (x < 3) {
    // erf(x) = 2/sqrt(pi) · e^(-x²) · Σ (2x²)^n · x / (1·3·…·(2n+1))
    let term = x;
    let sum = x;
    const x2 = 2 * x * x;
    for (let n = 1; n < 200 && term > sum * 1e-17; n++) {
      term *= x2 / (2 * n + 1);
      sum += term;
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * Math.exp(-x * x) * sum;
  }
  if (x > 27) return 0;
  // erfc(x) = e^(-x²)/sqrt(pi) · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + …)))), evaluated with modified Lentz.
  const tiny = 1e-300;
  let f = x;
  let c = x;
  let d = 0;
  for (let n = 1; n < 500; n++) {
    const a = n / 2;
    d = x + a * d;
    d = d === 0 ? tiny : d;
    c = x + a / c;
    c = c === 0 ? tiny : c;
    d = 1 / d;
    const delta = c * d;
    f *= delta;
    if (Math.abs(delta - 1) < 1e-16) break;
  }
  return Math.exp(-x * x) / Math.sqrt(Math.PI) / f;
}

/** The normal tail probability beyond x (mirrored below the mean, as NAB does). */
function tailProbability(x: number, mean: number, std: number): number {
  if (x < mean) return tailProbability(2 * mean - x, mean, std);
  const z = (x - mean) / std;
  return 0.5 * erfc(z / Math.SQRT2);
}

export class WindowedGaussian {
  readonly name = "windowedGaussian";
  private window: number[] = [];
  private stepBuffer: number[] = [];
  private mean = 0;
  private std = 1;
  /** Left-to-right sum of the window while it grows (the same value as re-adding it). */
  private growingSum = 0;

  score(_timestampMs: number, value: number): number {
    const s = this.window.length > 0 ? 1 - tailProbability(value, this.mean, this.std) : 0;
    if (this.window.length < WINDOW) {
      this.window.push(value);
      this.growingSum += value;
      this.update(this.growingSum);
    } else {
      this.stepBuffer.push(value);
      if (this.stepBuffer.length === STEP) {
        this.window = this.window.slice(STEP).concat(this.stepBuffer);
        this.stepBuffer = [];
        this.update();
      }
    }
    return s;
  }

  retained(): number {
    return this.window.length + this.stepBuffer.length;
  }

  private update(knownSum?: number): void {
    const n = this.window.length;
    let sum = 0;
    if (knownSum !== undefined) sum = knownSum;
    else for (const v of this.window) sum += v;
    const mean = sum / n;
    let ss = 0;
    for (const v of this.window) ss += (v - mean) * (v - mean);
    this.mean = mean;
    this.std = Math.sqrt(ss / n);
    if (this.std === 0) this.std = 0.000001;
  }
}
