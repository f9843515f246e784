//! Scalar arithmetic shared by the expression evaluator, the instruction tapes and the Rust
//! source generated from them: a fast `a^b` and NaN-propagating `min`/`max`.

/// `a^b`. Exponents are mostly Hill coefficients held in parameters, so only known at run
/// time, and mostly whole numbers: those take `powi` (a few multiplications) instead of
/// `powf` (measured: `powf` was 6-8% of a trial's time). The result agrees with `powf` to a
/// few ulp.
#[inline]
pub fn power(a: f64, b: f64) -> f64 {
    if b.fract() == 0.0 && b.abs() <= 64.0 {
        a.powi(b as i32)
    } else {
        a.powf(b)
    }
}

/// `min` that propagates NaN (as the expression evaluator does), unlike `f64::min`.
#[inline]
pub fn nan_min(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.min(b)
    }
}

/// `max` that propagates NaN.
#[inline]
pub fn nan_max(a: f64, b: f64) -> f64 {
    if a.is_nan() || b.is_nan() {
        f64::NAN
    } else {
        a.max(b)
    }
}
