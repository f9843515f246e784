//! Operations on an output series: interpolation, windows, time averages and crossings.

/// Linear interpolation of (xs, ys) at `x`; xs increasing. `None` outside [first, last]
/// (with a rounding allowance) or for mismatched inputs.
pub(super) fn interpolate(xs: &[f64], ys: &[f64], x: f64) -> Option<f64> {
    if xs.len() != ys.len() || xs.is_empty() || !x.is_finite() {
        return None;
    }
    let (first, last) = (xs[0], xs[xs.len() - 1]);
    let slack = 1e-9 * (last - first).abs().max(first.abs()).max(1.0);
    if x < first - slack || x > last + slack {
        return None;
    }
    if xs.len() == 1 {
        return Some(ys[0]);
    }
    let k = xs.partition_point(|v| *v <= x).clamp(1, xs.len() - 1);
    let (x0, x1, y0, y1) = (xs[k - 1], xs[k], ys[k - 1], ys[k]);
    if x1 == x0 {
        return Some(y1);
    }
    let w = ((x - x0) / (x1 - x0)).clamp(0.0, 1.0);
    Some(y0 + w * (y1 - y0))
}

/// The points of (xs, ys) from `from` to `to` (the ends of the series by default), with the
/// interpolated values at both ends; `None` when an end lies outside the series.
pub(super) fn window(
    xs: &[f64],
    ys: &[f64],
    from: Option<f64>,
    to: Option<f64>,
) -> Option<(Vec<f64>, Vec<f64>)> {
    let (first, last) = (*xs.first()?, *xs.last()?);
    let (from, to) = (from.unwrap_or(first), to.unwrap_or(last));
    if from > to {
        return None;
    }
    let mut wx = vec![from];
    let mut wy = vec![interpolate(xs, ys, from)?];
    for (x, y) in xs.iter().zip(ys) {
        if *x > from && *x < to {
            wx.push(*x);
            wy.push(*y);
        }
    }
    if to > from {
        wx.push(to);
        wy.push(interpolate(xs, ys, to)?);
    }
    Some((wx, wy))
}

/// Time average of ys over xs by the trapezoid rule.
pub(super) fn time_average(xs: &[f64], ys: &[f64]) -> Option<f64> {
    if xs.len() < 2 || xs.len() != ys.len() {
        return None;
    }
    let span = xs[xs.len() - 1] - xs[0];
    if span <= 0.0 {
        return None;
    }
    let area: f64 = xs
        .windows(2)
        .zip(ys.windows(2))
        .map(|(x, y)| 0.5 * (y[0] + y[1]) * (x[1] - x[0]))
        .sum();
    Some(area / span)
}

/// The first x at which the series ys reaches `level` or less (interpolated), if it does.
pub(super) fn first_at_or_below(xs: &[f64], ys: &[f64], level: f64) -> Option<f64> {
    let k = ys.iter().position(|y| *y <= level)?;
    if k == 0 {
        return Some(xs[0]);
    }
    let (x0, x1, y0, y1) = (xs[k - 1], xs[k], ys[k - 1], ys[k]);
    Some(x0 + (x1 - x0) * (y0 - level) / (y0 - y1))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_windows_averages_and_crossings() {
        let xs = [0.0, 1.0, 3.0];
        let ys = [10.0, 20.0, 0.0];
        assert_eq!(interpolate(&xs, &ys, 0.5), Some(15.0));
        assert_eq!(interpolate(&xs, &ys, 2.0), Some(10.0));
        assert_eq!(interpolate(&xs, &ys, 3.0), Some(0.0));
        assert_eq!(interpolate(&xs, &ys, 0.0), Some(10.0));
        assert_eq!(interpolate(&xs, &ys, 3.1), None);
        assert_eq!(interpolate(&xs, &ys, -0.1), None);
        assert_eq!(time_average(&xs, &ys), Some((15.0 + 20.0) / 3.0));
        assert_eq!(first_at_or_below(&xs, &ys, 5.0), Some(2.5));
        assert_eq!(first_at_or_below(&xs, &ys, -1.0), None);
        assert_eq!(
            window(&xs, &ys, Some(0.5), Some(2.0)),
            Some((vec![0.5, 1.0, 2.0], vec![15.0, 20.0, 10.0]))
        );
        assert_eq!(
            window(&xs, &ys, None, None),
            Some((xs.to_vec(), ys.to_vec()))
        );
        assert_eq!(window(&xs, &ys, Some(2.0), Some(1.0)), None);
        assert_eq!(window(&xs, &ys, Some(-1.0), None), None);
    }
}
