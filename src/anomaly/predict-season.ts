// Seasonality for failure prediction: detect a repeating profile (daily by default) in the residuals of a
// trend and estimate it per phase slot, so the trend is fitted on the deseasonalised series and the
// forecast adds the profile back. Pure.

export interface SeasonProfile {
  periodMs: number;
  /** Mean residual per phase slot (slot s covers phases [s/S, (s+1)/S) of the period), centred on zero. */
  slots: Float64Array;
  /** The variance-ratio statistic that accepted the profile (between / within days). */
  f: number;
}

/** Number of phase slots for a period given the typical sample spacing; 0 when too coarse to try. */
export function slotCount(periodMs: number, stepMs: number): number {
  if (!(stepMs > 0)) return 0;
  const perPeriod = periodMs / stepMs;
  const s = Math.min(48, Math.floor(perPeriod / 4));
  return s >= 4 ? s : 0;
}

function slotOf(tMs: number, periodMs: number, slots: number): number {
  const phase = (((tMs % periodMs) + periodMs) % periodMs) / periodMs;
  return Math.min(slots - 1, Math.floor(phase * slots));
}

/** The profile's value at tMs: linear interpolation between slot centres, wrapping around the period. */
export function seasonalAt(p: SeasonProfile, tMs: number): number {
  const S = p.slots.length;
  const phase = (((tMs % p.periodMs) + p.periodMs) % p.periodMs) / p.periodMs;
  const pos = phase * S - 0.5;
  const i0 = Math.floor(pos);
  const w = pos - i0;
  const a = p.slots[((i0 % S) + S) % S]!;
  const b = p.slots[(((i0 + 1) % S) + S) % S]!;
  return a + (b - a) * w;
}

/**
 * Tests whether residuals r (from any trend) repeat with the period and, if so, returns their per-slot
 * profile. The test cuts the window into whole periods counted back from the last sample, removes each
 * period's own mean and straight line (so trend misfits and level shifts do not look seasonal), and
 * compares how much the per-slot means agree across periods with how much the periods scatter around them
 * (a one-way ANOVA F ratio: ≈ 1 for noise, large when every period has the same shape). Needs two whole
 * periods. The returned profile is the plain per-slot mean of r, centred.
 */
export function detectSeason(
  t: readonly number[],
  r: readonly number[],
  keep: readonly boolean[],
  periodMs: number,
  slots: number,
  /** Residuals smaller than this are exact zeros (a noise-free series). */
  tolerance: number,
  minF = 5,
): SeasonProfile | undefined {
  const n = t.length;
  if (n === 0 || slots < 4) return undefined;
  const tEnd = t[n - 1]!;
  const cycles = Math.floor((tEnd - t[0]!) / periodMs);
  if (cycles < 2) return undefined;
  // Bin means per (cycle, slot) with the mean position inside the cycle.
  const cells = cycles * slots;
  const sum = new Float64Array(cells);
  const pos = new Float64Array(cells);
  const cnt = new Float64Array(cells);
  for (let i = 0; i < n; i++) {
    if (!keep[i]) continue;
    const back = tEnd - t[i]!;
    const c = Math.floor(back / periodMs);
    if (c >= cycles) continue;
    const k = c * slots + slotOf(t[i]!, periodMs, slots);
    sum[k]! += r[i]!;
    pos[k]! += back - c * periodMs;
    cnt[k]!++;
  }
  // Per cycle: remove the least-squares line of bin mean on position.
  const dev = new Float64Array(cells).fill(NaN);
  for (let c = 0; c < cycles; c++) {
    let m = 0;
    let mu = 0;
    let mv = 0;
    for (let s = 0; s < slots; s++) {
      const k = c * slots + s;
      if (cnt[k]! === 0) continue;
      m++;
      mu += pos[k]! / cnt[k]!;
      mv += sum[k]! / cnt[k]!;
    }
    if (m < slots / 2) continue;
    mu /= m;
    mv /= m;
    let suu = 0;
    let suv = 0;
    for (let s = 0; s < slots; s++) {
      const k = c * slots + s;
      if (cnt[k]! === 0) continue;
      const du = pos[k]! / cnt[k]! - mu;
      suu += du * du;
      suv += du * (sum[k]! / cnt[k]! - mv);
    }
    const b = suu > 0 ? suv / suu : 0;
    for (let s = 0; s < slots; s++) {
      const k = c * slots + s;
      if (cnt[k]! === 0) continue;
      const d = sum[k]! / cnt[k]! - mv - b * (pos[k]! / cnt[k]! - mu);
      dev[k] = Math.abs(d) <= tolerance ? 0 : d;
    }
  }
  let between = 0;
  let within = 0;
  let dfW = 0;
  let dfB = 0;
  for (let s = 0; s < slots; s++) {
    let m = 0;
    let mean = 0;
    for (let c = 0; c < cycles; c++) {
      const d = dev[c * slots + s]!;
      if (Number.isNaN(d)) continue;
      m++;
      mean += d;
    }
    if (m < 2) continue;
    mean /= m;
    between += m * mean * mean;
    dfB++;
    for (let c = 0; c < cycles; c++) {
      const d = dev[c * slots + s]!;
      if (!Number.isNaN(d)) within += (d - mean) ** 2;
    }
    dfW += m - 1;
  }
  dfB -= 2; // each cycle's mean and slope were removed
  if (dfB < 2 || dfW < 1) return undefined;
  const f = within > 0 ? between / dfB / (within / dfW) : between > 0 ? Infinity : 0; // 0/0: no profile
  if (!(f >= minF)) return undefined;
  return { periodMs, slots: slotMeans(t, r, keep, periodMs, slots), f };
}

/** Per-slot mean of r over the whole window, centred on zero (empty slots borrow their neighbours). */
export function slotMeans(t: readonly number[], r: readonly number[], keep: readonly boolean[], periodMs: number, slots: number): Float64Array {
  const sum = new Float64Array(slots);
  const cnt = new Float64Array(slots);
  for (let i = 0; i < t.length; i++) {
    if (!keep[i]) continue;
    const s = slotOf(t[i]!, periodMs, slots);
    sum[s]! += r[i]!;
    cnt[s]!++;
  }
  const out = new Float64Array(slots).fill(NaN);
  for (let s = 0; s < slots; s++) if (cnt[s]! > 0) out[s] = sum[s]! / cnt[s]!;
  for (let s = 0; s < slots; s++) {
    if (!Number.isNaN(out[s]!)) continue;
    for (let d = 1; d < slots; d++) {
      const v = out[(s + d) % slots]!;
      if (!Number.isNaN(v)) {
        out[s] = v;
        break;
      }
    }
  }
  let mean = 0;
  for (let s = 0; s < slots; s++) mean += out[s]! / slots;
  for (let s = 0; s < slots; s++) out[s] = Number.isNaN(out[s]!) ? 0 : out[s]! - mean;
  return out;
}
