//! p(x|z) per data dimension, as distributions over the stored symbols.

use probability::distribution::{Distribution, Inverse};

use vae_model::MIN_LOG_SCALE;

/// A distribution over the 256 levels of a byte, as the quantizer and the ELBO estimate use it.
pub(crate) trait Levels: Distribution<Value = f64> + Inverse {
    /// ln P(level), in nats.
    fn log_prob(&self, level: u8) -> f64;
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// A logistic over levels 0..=255: symbol `k` spans `[k − ½, k + ½]` on the level scale,
/// i.e. x = k/255 ± ½/255 on the model's [0, 1] scale; the end levels take the tails.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Logistic256 {
    mean: f64,
    scale: f64,
}

impl Logistic256 {
    /// From the decoder's μ and ln s on the [0, 1] scale.
    pub(crate) fn new(mean: f32, log_scale: f32) -> Self {
        let mean = if mean.is_finite() {
            f64::from(mean)
        } else {
            0.5
        };
        let log_scale = if log_scale.is_finite() {
            f64::from(log_scale).clamp(MIN_LOG_SCALE, 10.0)
        } else {
            0.0
        };
        Self {
            mean,
            scale: log_scale.exp(),
        }
    }
}

impl Levels for Logistic256 {
    /// ln P(level), in nats, with the tails folded into the end levels.
    fn log_prob(&self, level: u8) -> f64 {
        let upper = if level == 255 {
            1.0
        } else {
            self.distribution(f64::from(level) + 0.5)
        };
        let lower = if level == 0 {
            0.0
        } else {
            self.distribution(f64::from(level) - 0.5)
        };
        (upper - lower).max(f64::MIN_POSITIVE).ln()
    }
}

impl Distribution for Logistic256 {
    type Value = f64;

    fn distribution(&self, t: f64) -> f64 {
        sigmoid((t / 255.0 - self.mean) / self.scale)
    }
}

impl Inverse for Logistic256 {
    fn inverse(&self, p: f64) -> f64 {
        255.0 * (self.mean + self.scale * (p / (1.0 - p)).ln())
    }
}

/// Most mixture components a model may have (as `vae_model::Likelihood` allows).
const MAX_COMPONENTS: usize = 16;

/// A mixture of [`Logistic256`]s with softmax weights, over the same levels. Fixed-size, so
/// that one per pixel costs no allocation.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Mixture256 {
    k: usize,
    weights: [f64; MAX_COMPONENTS],
    parts: [Logistic256; MAX_COMPONENTS],
}

impl Mixture256 {
    /// From one dimension's logits and components (at most 16 are used).
    pub(crate) fn new(
        logits: impl Iterator<Item = f32>,
        parts: impl Iterator<Item = Logistic256>,
    ) -> Self {
        let mut m = Self {
            k: 0,
            weights: [0.0; MAX_COMPONENTS],
            parts: [Logistic256::new(0.5, 0.0); MAX_COMPONENTS],
        };
        for ((w, p), (l, part)) in m
            .weights
            .iter_mut()
            .zip(m.parts.iter_mut())
            .zip(logits.zip(parts))
        {
            *w = if l.is_finite() { f64::from(l) } else { 0.0 };
            *p = part;
            m.k += 1;
        }
        let weights = &mut m.weights[..m.k];
        let max = weights.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        weights.iter_mut().for_each(|w| *w = (*w - max).exp());
        let total: f64 = weights.iter().sum();
        weights.iter_mut().for_each(|w| *w /= total);
        m
    }

    fn components(&self) -> impl Iterator<Item = (f64, &Logistic256)> {
        self.weights[..self.k]
            .iter()
            .copied()
            .zip(&self.parts[..self.k])
    }
}

impl Levels for Mixture256 {
    /// ln P(level), in nats.
    fn log_prob(&self, level: u8) -> f64 {
        self.components()
            .map(|(w, p)| w * p.log_prob(level).exp())
            .sum::<f64>()
            .max(f64::MIN_POSITIVE)
            .ln()
    }
}

impl Distribution for Mixture256 {
    type Value = f64;

    fn distribution(&self, t: f64) -> f64 {
        let f: f64 = self.components().map(|(w, p)| w * p.distribution(t)).sum();
        f.clamp(0.0, 1.0)
    }
}

impl Inverse for Mixture256 {
    /// A starting point for the quantizer's search. Most pixels sit at an end of the range
    /// (MNIST's background), so those two are tried first; otherwise bisection on the level
    /// scale.
    fn inverse(&self, p: f64) -> f64 {
        if p < self.distribution(0.5) {
            return 0.0;
        }
        if p >= self.distribution(254.5) {
            return 255.0;
        }
        let (mut lo, mut hi) = (0.5, 254.5);
        for _ in 0..8 {
            let mid = 0.5 * (lo + hi);
            if self.distribution(mid) < p {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        0.5 * (lo + hi)
    }
}

/// A Bernoulli over symbols 0 and 1 from the decoder's logit.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Bernoulli01 {
    logit: f64,
    /// P(x = 0) = σ(−l).
    p0: f64,
}

impl Bernoulli01 {
    pub(crate) fn new(logit: f32) -> Self {
        let logit = if logit.is_finite() {
            f64::from(logit)
        } else {
            0.0
        };
        Self {
            logit,
            p0: sigmoid(-logit),
        }
    }

    /// ln P(bit), in nats: −softplus(∓l), stable for large |l|.
    pub(crate) fn log_prob(&self, bit: bool) -> f64 {
        let a = if bit { -self.logit } else { self.logit };
        -(a.max(0.0) + (-a.abs()).exp().ln_1p())
    }
}

impl Distribution for Bernoulli01 {
    type Value = f64;

    fn distribution(&self, t: f64) -> f64 {
        if t < 0.0 {
            0.0
        } else if t < 1.0 {
            self.p0
        } else {
            1.0
        }
    }
}

impl Inverse for Bernoulli01 {
    fn inverse(&self, p: f64) -> f64 {
        if p < self.p0 { 0.0 } else { 1.0 }
    }
}
