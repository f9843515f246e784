//! Summary statistics of a population: means with confidence intervals, risk ratios,
//! quantiles and the area under the ROC curve. Generic: values in, numbers out.

use serde::Serialize;

/// The 97.5th percentile of the standard normal, for two-sided 95% intervals.
pub const Z_95: f64 = 1.959_963_984_540_054;

/// A mean with its normal-approximation 95% confidence interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct MeanCi {
    pub n: usize,
    pub mean: f64,
    pub sd: f64,
    pub ci_low: f64,
    pub ci_high: f64,
}

/// Mean, sample standard deviation and `mean +- 1.96 sd / sqrt(n)`; `None` for fewer than two
/// values or any non-finite value.
pub fn mean_ci(values: &[f64]) -> Option<MeanCi> {
    let n = values.len();
    if n < 2 || values.iter().any(|v| !v.is_finite()) {
        return None;
    }
    let nf = n as f64;
    let mean = values.iter().sum::<f64>() / nf;
    let var = values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (nf - 1.0);
    let sd = var.sqrt();
    let half = Z_95 * sd / nf.sqrt();
    Some(MeanCi {
        n,
        mean,
        sd,
        ci_low: mean - half,
        ci_high: mean + half,
    })
}

/// Risk of an event in one group and its ratio to a reference group.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Risk {
    pub events: usize,
    pub n: usize,
    /// `events / n`.
    pub incidence: f64,
    /// Against the reference group; `None` in the reference group itself or when neither
    /// group has an event.
    pub relative_risk: Option<f64>,
    pub rr_ci_low: Option<f64>,
    pub rr_ci_high: Option<f64>,
}

/// The risk `a / n1` and its ratio to the reference risk `c / n0` with the 95% interval of
/// the log risk ratio (Katz 1978: `se = sqrt(1/a - 1/n1 + 1/c - 1/n0)`). A zero count gets
/// 0.5 added to every cell (Haldane's correction); with no event in either group there is
/// no ratio.
pub fn risk(a: usize, n1: usize, reference: Option<(usize, usize)>) -> Risk {
    let incidence = if n1 == 0 { 0.0 } else { a as f64 / n1 as f64 };
    let mut out = Risk {
        events: a,
        n: n1,
        incidence,
        relative_risk: None,
        rr_ci_low: None,
        rr_ci_high: None,
    };
    let Some((c, n0)) = reference else {
        return out;
    };
    if n1 == 0 || n0 == 0 || (a == 0 && c == 0) {
        return out;
    }
    let (mut a, mut n1, mut c, mut n0) = (a as f64, n1 as f64, c as f64, n0 as f64);
    if a == 0.0 || c == 0.0 {
        a += 0.5;
        c += 0.5;
        n1 += 1.0;
        n0 += 1.0;
    }
    let rr = (a / n1) / (c / n0);
    let se = (1.0 / a - 1.0 / n1 + 1.0 / c - 1.0 / n0).max(0.0).sqrt();
    out.relative_risk = Some(rr);
    out.rr_ci_low = Some((rr.ln() - Z_95 * se).exp());
    out.rr_ci_high = Some((rr.ln() + Z_95 * se).exp());
    out
}

/// The `p`-quantile (0..=1) of sorted values, interpolating linearly between order
/// statistics (Hyndman and Fan type 7, the default of R and NumPy). `None` when empty.
pub fn quantile_sorted(sorted: &[f64], p: f64) -> Option<f64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    let h = (n - 1) as f64 * p.clamp(0.0, 1.0);
    let lo = h.floor() as usize;
    let hi = (lo + 1).min(n - 1);
    Some(sorted[lo] + (h - lo as f64) * (sorted[hi] - sorted[lo]))
}

/// True for the values at or above the upper quartile (type 7) of all values.
pub fn in_top_quartile(values: &[f64]) -> Vec<bool> {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match quantile_sorted(&sorted, 0.75) {
        Some(q) => values.iter().map(|&v| v >= q).collect(),
        None => Vec::new(),
    }
}

/// Area under the ROC curve with its 95% interval.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Auc {
    pub auc: f64,
    pub ci_low: f64,
    pub ci_high: f64,
    pub se: f64,
    pub positives: usize,
    pub negatives: usize,
}

/// The probability that a positive case scores higher than a negative one (ties count
/// half), from mid-ranks (the Mann-Whitney U statistic), with the standard error of Hanley
/// and McNeil (1982, Radiology 143:29) and a normal interval clipped to [0, 1]. `None`
/// without at least one positive and one negative case or with a non-finite score.
pub fn roc_auc(scores: &[f64], positive: &[bool]) -> Option<Auc> {
    if scores.len() != positive.len() || scores.iter().any(|s| !s.is_finite()) {
        return None;
    }
    let n_pos = positive.iter().filter(|&&p| p).count();
    let n_neg = positive.len() - n_pos;
    if n_pos == 0 || n_neg == 0 {
        return None;
    }
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let mut rank_sum_pos = 0.0;
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        while j + 1 < order.len() && scores[order[j + 1]] == scores[order[i]] {
            j += 1;
        }
        // Ranks i+1 ..= j+1 share their mean.
        let mid = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            if positive[k] {
                rank_sum_pos += mid;
            }
        }
        i = j + 1;
    }
    let (np, nn) = (n_pos as f64, n_neg as f64);
    let auc = (rank_sum_pos - np * (np + 1.0) / 2.0) / (np * nn);
    let q1 = auc / (2.0 - auc);
    let q2 = 2.0 * auc * auc / (1.0 + auc);
    let var = (auc * (1.0 - auc) + (np - 1.0) * (q1 - auc * auc) + (nn - 1.0) * (q2 - auc * auc))
        / (np * nn);
    let se = var.max(0.0).sqrt();
    Some(Auc {
        auc,
        ci_low: (auc - Z_95 * se).max(0.0),
        ci_high: (auc + Z_95 * se).min(1.0),
        se,
        positives: n_pos,
        negatives: n_neg,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mean_ci_by_hand() {
        let m = mean_ci(&[1.0, 2.0, 3.0, 4.0]).unwrap();
        assert_eq!(m.mean, 2.5);
        let sd = (5.0f64 / 3.0).sqrt();
        assert!((m.sd - sd).abs() < 1e-12);
        assert!((m.ci_high - (2.5 + Z_95 * sd / 2.0)).abs() < 1e-12);
        assert!(mean_ci(&[1.0]).is_none());
        assert!(mean_ci(&[1.0, f64::NAN]).is_none());
    }

    #[test]
    fn risk_ratio_by_hand() {
        // 8/100 vs 15/100 (the FIT-1 vertebral figures per 100 women).
        let r = risk(8, 100, Some((15, 100)));
        let rr = r.relative_risk.unwrap();
        assert!((rr - 8.0 / 15.0).abs() < 1e-12);
        let se = (1.0 / 8.0 - 0.01 + 1.0 / 15.0 - 0.01f64).sqrt();
        assert!((r.rr_ci_low.unwrap() - (rr.ln() - Z_95 * se).exp()).abs() < 1e-12);
        assert!(r.rr_ci_low.unwrap() < rr && rr < r.rr_ci_high.unwrap());
        assert_eq!(r.incidence, 0.08);
        // Zero events in one arm: corrected, finite.
        let z = risk(0, 50, Some((5, 50)));
        assert!(z.relative_risk.unwrap() > 0.0 && z.rr_ci_high.unwrap().is_finite());
        assert!(risk(0, 50, Some((0, 50))).relative_risk.is_none());
        assert!(risk(3, 50, None).relative_risk.is_none());
    }

    #[test]
    fn quantiles_type_7() {
        let v = [1.0, 2.0, 3.0, 4.0, 5.0];
        assert_eq!(quantile_sorted(&v, 0.5), Some(3.0));
        assert_eq!(quantile_sorted(&v, 0.05), Some(1.2));
        assert_eq!(quantile_sorted(&v, 0.95), Some(4.8));
        assert_eq!(quantile_sorted(&[], 0.5), None);
        assert_eq!(
            in_top_quartile(&[4.0, 1.0, 3.0, 2.0, 5.0]),
            vec![true, false, false, false, true]
        );
    }

    #[test]
    fn auc_against_counting_pairs() {
        let scores = [0.1, 0.4, 0.35, 0.8, 0.4, 0.9, 0.2];
        let pos = [false, false, true, true, true, true, false];
        let a = roc_auc(&scores, &pos).unwrap();
        let mut wins = 0.0;
        let mut pairs = 0.0;
        for i in 0..scores.len() {
            for j in 0..scores.len() {
                if pos[i] && !pos[j] {
                    pairs += 1.0;
                    wins += if scores[i] > scores[j] {
                        1.0
                    } else if scores[i] == scores[j] {
                        0.5
                    } else {
                        0.0
                    };
                }
            }
        }
        assert!((a.auc - wins / pairs).abs() < 1e-12);
        assert!(a.ci_low <= a.auc && a.auc <= a.ci_high);
        // Perfect separation and its mirror.
        assert_eq!(
            roc_auc(&[1.0, 2.0, 3.0], &[false, true, true]).unwrap().auc,
            1.0
        );
        assert_eq!(
            roc_auc(&[3.0, 2.0, 1.0], &[false, true, true]).unwrap().auc,
            0.0
        );
        assert!(roc_auc(&[1.0, 2.0], &[true, true]).is_none());
        // Hanley-McNeil at AUC 0.5 with 50/50 cases: se = sqrt((0.25 + 49(1/3-1/4) + 49(1/3-1/4))/2500).
        let s: Vec<f64> = (0..100).map(|i| f64::from(i % 2)).collect();
        let p: Vec<bool> = (0..100).map(|i| i < 50).collect();
        let h = roc_auc(&s, &p).unwrap();
        assert!((h.auc - 0.5).abs() < 1e-12);
        let want = ((0.25 + 98.0 * (1.0 / 3.0 - 0.25)) / 2500.0f64).sqrt();
        assert!((h.se - want).abs() < 1e-12, "{} {want}", h.se);
    }
}
