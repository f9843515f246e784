//! Counter-based random numbers.
//!
//! Every draw is a pure function of (seed, unit, attempt, purpose, counter): a stream is
//! keyed by the first four and numbered by the last. Nothing depends on which thread asks, in
//! which order units are processed or how they are grouped into chunks, so a population is
//! the same whatever the thread count.
//!
//! The generator is SplitMix64 (Steele, Lea and Flood 2014, "Fast splittable pseudorandom
//! number generators", OOPSLA): the n-th output of a stream is the 64-bit finalizer applied
//! to `key + n * 0x9e3779b97f4a7c15`, which is counter-based by construction. Keys are
//! derived by chaining the same finalizer over the four coordinates.

/// The odd constant SplitMix64 adds per step (2^64 / golden ratio).
const GAMMA: u64 = 0x9e37_79b9_7f4a_7c15;

/// The SplitMix64 finalizer: a bijection of 64-bit words with good avalanche.
const fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// One stream of random numbers.
#[derive(Debug, Clone)]
pub struct Stream {
    key: u64,
    counter: u64,
}

impl Stream {
    /// The stream of `purpose` for try `attempt` of unit `unit` under `seed`.
    pub fn new(seed: u64, unit: u64, attempt: u64, purpose: u64) -> Stream {
        let mut key = mix(seed ^ 0x6a09_e667_f3bc_c908);
        key = mix(key ^ unit.wrapping_mul(GAMMA));
        key = mix(key ^ attempt.wrapping_mul(0xbb67_ae85_84ca_a73b));
        key = mix(key ^ purpose.wrapping_mul(0x3c6e_f372_fe94_f82b));
        Stream { key, counter: 0 }
    }

    pub fn next_u64(&mut self) -> u64 {
        self.counter = self.counter.wrapping_add(1);
        mix(self.key.wrapping_add(self.counter.wrapping_mul(GAMMA)))
    }

    /// Uniform on the open interval (0, 1): never exactly 0 or 1, so logarithms are finite.
    pub fn uniform(&mut self) -> f64 {
        // 53 random bits, centred in their cell.
        #[allow(clippy::cast_precision_loss)]
        let k = (self.next_u64() >> 11) as f64;
        (k + 0.5) / 9_007_199_254_740_992.0
    }

    /// Standard normal by the Box-Muller transform; each call uses two uniforms.
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform();
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Normal with this mean and standard deviation, truncated to `[min, max]` by rejection;
    /// `None` when `tries` draws all fall outside.
    pub fn truncated_normal(
        &mut self,
        mean: f64,
        sd: f64,
        min: f64,
        max: f64,
        tries: usize,
    ) -> Option<f64> {
        for _ in 0..tries {
            let x = mean + sd * self.normal();
            if (min..=max).contains(&x) {
                return Some(x);
            }
        }
        None
    }

    /// A lognormal factor with median 1 and coefficient of variation `cv`:
    /// `exp(sigma z)` with `sigma^2 = ln(1 + cv^2)`.
    pub fn lognormal_factor(&mut self, cv: f64) -> f64 {
        let sigma = (1.0 + cv * cv).ln().sqrt();
        (sigma * self.normal()).exp()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn streams_are_pure_functions_of_their_coordinates() {
        let a: Vec<u64> = {
            let mut s = Stream::new(42, 7, 0, 1);
            (0..5).map(|_| s.next_u64()).collect()
        };
        let mut s = Stream::new(42, 7, 0, 1);
        let b: Vec<u64> = (0..5).map(|_| s.next_u64()).collect();
        assert_eq!(a, b);
        for other in [
            Stream::new(43, 7, 0, 1),
            Stream::new(42, 8, 0, 1),
            Stream::new(42, 7, 1, 1),
            Stream::new(42, 7, 0, 2),
        ] {
            let mut o = other;
            assert_ne!(o.next_u64(), a[0]);
        }
    }

    #[test]
    fn moments_of_the_distributions() {
        let mut s = Stream::new(1, 2, 3, 4);
        let n = 200_000;
        let u: Vec<f64> = (0..n).map(|_| s.uniform()).collect();
        assert!(u.iter().all(|&x| x > 0.0 && x < 1.0));
        let mean = u.iter().sum::<f64>() / n as f64;
        assert!((mean - 0.5).abs() < 0.005, "{mean}");
        let z: Vec<f64> = (0..n).map(|_| s.normal()).collect();
        let m = z.iter().sum::<f64>() / n as f64;
        let v = z.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n as f64;
        assert!(m.abs() < 0.01 && (v - 1.0).abs() < 0.02, "{m} {v}");
        let f: Vec<f64> = (0..n).map(|_| s.lognormal_factor(0.3)).collect();
        let m = f.iter().sum::<f64>() / n as f64;
        let sd = (f.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n as f64).sqrt();
        let mut sorted = f.clone();
        sorted.sort_by(f64::total_cmp);
        assert!(
            (sorted[n / 2] - 1.0).abs() < 0.01,
            "median {}",
            sorted[n / 2]
        );
        assert!((sd / m - 0.3).abs() < 0.01, "cv {}", sd / m);
        let t: Vec<f64> = (0..n)
            .filter_map(|_| s.truncated_normal(65.0, 5.0, 60.0, 62.0, 1000))
            .collect();
        assert_eq!(t.len(), n);
        assert!(t.iter().all(|&x| (60.0..=62.0).contains(&x)));
        assert_eq!(s.truncated_normal(0.0, 1.0, 50.0, 51.0, 100), None);
    }
}
