// Natural logarithm computed the way V8's Math.log computes it (V8 uses fdlibm's algorithm), so
// that the exponential mapping's rare exact path reproduces OpenTelemetry's JavaScript arithmetic
// bit for bit. AssemblyScript's own Math.log is musl's, which rounds differently in the last ulp.
//
// Algorithm (fdlibm e_log): write x = 2^k * (1 + f) with sqrt(2)/2 < 1 + f < sqrt(2); with
// s = f / (2 + f), log(1 + f) = 2s + 2s^3/3 + ... = f - f^2/2 + s * (f^2/2 + R(s^2)), where R is a
// degree-14 minimax polynomial; log(x) = k * ln2 + log(1 + f), ln2 split into hi and lo parts.

const LN2_HI: f64 = 6.93147180369123816490e-01;
const LN2_LO: f64 = 1.90821492927058770002e-10;
const TWO54: f64 = 1.80143985094819840000e+16;
const P1: f64 = 6.666666666666735130e-01;
const P2: f64 = 3.999999999940941908e-01;
const P3: f64 = 2.857142874366239149e-01;
const P4: f64 = 2.222219843214978396e-01;
const P5: f64 = 1.818357216161805012e-01;
const P6: f64 = 1.531383769920937332e-01;
const P7: f64 = 1.479819860511658591e-01;
const ONE_THIRD: f64 = 0.33333333333333333;

export function fdlibmLog(x: f64): f64 {
  let bits = reinterpret<u64>(x);
  let high = <i32>(bits >> 32);
  const low = <u32>bits;
  let k: i32 = 0;
  if (high < 0x00100000) {
    // zero, negative or subnormal
    if (((high & 0x7fffffff) | low) == 0) return -Infinity;
    if (high < 0) return NaN;
    k = -54;
    x *= TWO54;
    bits = reinterpret<u64>(x);
    high = <i32>(bits >> 32);
  }
  if (high >= 0x7ff00000) return x + x;
  k += (high >> 20) - 1023;
  const frac = high & 0x000fffff;
  // pick the exponent that puts 1 + f into [sqrt(2)/2, sqrt(2))
  const halve = (frac + 0x95f64) & 0x100000;
  const y = reinterpret<f64>((<u64>(frac | (halve ^ 0x3ff00000)) << 32) | (bits & 0xffffffff));
  k += halve >> 20;
  const f = y - 1.0;
  const dk = <f64>k;

  if ((0x000fffff & (2 + frac)) < 3) {
    // |f| < 2^-20: a short series suffices
    if (f == 0.0) {
      if (k == 0) return 0.0;
      return dk * LN2_HI + dk * LN2_LO;
    }
    const r = f * f * (0.5 - ONE_THIRD * f);
    if (k == 0) return f - r;
    return dk * LN2_HI - ((r - dk * LN2_LO) - f);
  }

  const s = f / (2.0 + f);
  const z = s * s;
  const w = z * z;
  const odd = w * (P2 + w * (P4 + w * P6));
  const even = z * (P1 + w * (P3 + w * (P5 + w * P7)));
  const r = even + odd;
  const useHalfSquare = ((frac - 0x6147a) | (0x6b851 - frac)) > 0;
  if (useHalfSquare) {
    const hfsq = 0.5 * f * f;
    if (k == 0) return f - (hfsq - s * (hfsq + r));
    return dk * LN2_HI - ((hfsq - (s * (hfsq + r) + dk * LN2_LO)) - f);
  }
  if (k == 0) return f - s * (f - r);
  return dk * LN2_HI - ((s * (f - r) - dk * LN2_LO) - f);
}
