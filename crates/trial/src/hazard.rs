//! Event times drawn from hazards given on a time grid.
//!
//! An event with hazard `h(t)` happens at the first time the cumulative hazard
//! `H(t) = integral of h` reaches `-ln U` for a uniform `U` (inverse transform of the
//! survival function `exp(-H)`); an event defined by a survival curve `S(t)` happens at the
//! first time `S(t) / S(t0)` falls to `U`. Between grid points `H` (trapezoidal rule) and
//! `S` are taken as linear in time. Draw `U` once per unit and reuse it in every arm of a
//! trial: arms then differ only through their hazards (common random numbers).

/// The constant rate that gives probability `p` of at least one event within `horizon`:
/// `-ln(1 - p) / horizon`. `p` is clamped to [0, 1); a non-finite `p` gives 0.
pub fn rate_from_probability(p: f64, horizon: f64) -> f64 {
    if !p.is_finite() {
        return 0.0;
    }
    let p = p.clamp(0.0, 1.0 - 1e-15);
    -(1.0 - p).ln() / horizon
}

/// First time at which the linear interpolant of `values` over `times` crosses `level`
/// (from below when `rising`, from above otherwise); `None` if it never does.
fn first_crossing(times: &[f64], values: &[f64], level: f64, rising: bool) -> Option<f64> {
    let past = |v: f64| if rising { v >= level } else { v <= level };
    let first = *values.first()?;
    if past(first) {
        return times.first().copied();
    }
    for k in 1..times.len().min(values.len()) {
        let (v0, v1) = (values[k - 1], values[k]);
        if past(v1) {
            let f = if v1 == v0 {
                1.0
            } else {
                (level - v0) / (v1 - v0)
            };
            return Some(times[k - 1] + f.clamp(0.0, 1.0) * (times[k] - times[k - 1]));
        }
    }
    None
}

/// The time of the event for hazard rates `rates` at `times` (rates per unit of time),
/// given a uniform `u` in (0, 1); `None` when none happens within the grid.
pub fn event_from_hazard(times: &[f64], rates: &[f64], u: f64) -> Option<f64> {
    let mut cumulative = Vec::with_capacity(times.len());
    let mut total = 0.0;
    cumulative.push(0.0);
    for k in 1..times.len().min(rates.len()) {
        total += 0.5 * (rates[k - 1] + rates[k]) * (times[k] - times[k - 1]);
        cumulative.push(total);
    }
    first_crossing(times, &cumulative, -u.ln(), true)
}

/// The probability of at least one event by the end of the grid for hazard rates `rates` at
/// `times`: `1 - exp(-H(end))` (trapezoidal `H`).
pub fn probability_by_end(times: &[f64], rates: &[f64]) -> f64 {
    let mut total = 0.0;
    for k in 1..times.len().min(rates.len()) {
        total += 0.5 * (rates[k - 1] + rates[k]) * (times[k] - times[k - 1]);
    }
    1.0 - (-total).exp()
}

/// The time of the event for a survival curve `survival` at `times` (conditional on
/// surviving to the first time), given a uniform `u` in (0, 1); `None` when the subject
/// survives the grid or the curve is not positive at its start.
pub fn event_from_survival(times: &[f64], survival: &[f64], u: f64) -> Option<f64> {
    let s0 = *survival.first()?;
    if !(s0 > 0.0 && s0.is_finite()) {
        return None;
    }
    let relative: Vec<f64> = survival.iter().map(|s| s / s0).collect();
    // At the first time the relative survival is 1 > u: an event there is impossible.
    first_crossing(times, &relative, u, false).filter(|&t| t > times[0])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_hazard_matches_the_exponential() {
        let times: Vec<f64> = (0..=100).map(f64::from).collect();
        let rates = vec![0.02; times.len()];
        let u: f64 = 0.5;
        let t = event_from_hazard(&times, &rates, u).unwrap();
        assert!((t - (-u.ln() / 0.02)).abs() < 1e-9, "{t}");
        // A small hazard over a short grid: no event.
        assert_eq!(event_from_hazard(&times, &vec![1e-4; 101], 0.5), None);
        assert_eq!(event_from_hazard(&times, &vec![0.0; 101], 0.5), None);
        // Probability to rate and back.
        let p = probability_by_end(&times, &rates);
        assert!((p - (1.0 - (-2.0f64).exp())).abs() < 1e-12, "{p}");
        let r = rate_from_probability(0.2, 10.0);
        assert!((1.0 - (-r * 10.0).exp() - 0.2).abs() < 1e-12);
        assert_eq!(rate_from_probability(f64::NAN, 10.0), 0.0);
    }

    #[test]
    fn survival_curve_inversion() {
        let times = [0.0, 10.0, 20.0];
        let s = [0.8, 0.6, 0.4];
        // Relative survival 1, 0.75, 0.5: u = 0.625 is crossed half way through (10, 20).
        let t = event_from_survival(&times, &s, 0.625).unwrap();
        assert!((t - 15.0).abs() < 1e-9, "{t}");
        assert_eq!(event_from_survival(&times, &s, 0.4), None);
        assert_eq!(event_from_survival(&times, &[0.0, 0.0, 0.0], 0.4), None);
    }

    #[test]
    fn common_random_numbers_order_events_by_hazard() {
        let times: Vec<f64> = (0..=10).map(f64::from).collect();
        let low = vec![0.05; 11];
        let high = vec![0.1; 11];
        for k in 1..100 {
            let u = f64::from(k) / 100.0;
            match (
                event_from_hazard(&times, &low, u),
                event_from_hazard(&times, &high, u),
            ) {
                (Some(a), Some(b)) => assert!(b <= a),
                (Some(_), None) => panic!("the higher hazard must fire first"),
                _ => {}
            }
        }
    }
}
