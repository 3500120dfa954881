//! p(x|z) per data dimension, as distributions over the stored symbols.

use probability::distribution::{Distribution, Inverse};

/// The smallest ln s the discretised logistic uses (as in `vae_model::Likelihood`).
const MIN_LOG_SCALE: f64 = -7.0;

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

    /// ln P(level), in nats, with the tails folded into the end levels.
    pub(crate) fn log_prob(&self, level: u8) -> f64 {
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
