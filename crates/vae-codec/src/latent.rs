//! Latent coordinates as symbols: bins of equal mass under the N(0, 1) prior.

use probability::distribution::{Distribution, Gaussian, Inverse};
use vae_model::codes::{equal_mass_edge, equal_mass_median};

/// `2^bits` bins per latent coordinate, each holding the same prior mass, so that pushing a
/// bin index under the prior costs exactly `bits` bits.
#[derive(Debug)]
pub(crate) struct LatentBins {
    /// Bin edges, `count + 1` of them, from −∞ to +∞.
    edges: Vec<f64>,
    /// The value the decoder sees for each bin: its prior median.
    centres: Vec<f32>,
}

fn standard() -> Gaussian {
    Gaussian::new(0.0, 1.0)
}

impl LatentBins {
    pub(crate) fn new(bits: u8) -> Self {
        let count = 1usize << bits;
        Self {
            edges: (0..=count).map(|i| equal_mass_edge(i, bits)).collect(),
            centres: (0..count)
                .map(|k| equal_mass_median(k, bits) as f32)
                .collect(),
        }
    }

    pub(crate) fn count(&self) -> usize {
        self.centres.len()
    }

    pub(crate) fn centre(&self, bin: i32) -> f32 {
        self.centres[bin as usize]
    }

    /// q(z|x) for one coordinate, as a distribution over bin indices.
    pub(crate) fn posterior(&self, mean: f32, log_var: f32) -> PosteriorBins<'_> {
        // Unusable network outputs still give a valid (if poor) model, identically on both
        // sides of the coder.
        let mean = if mean.is_finite() {
            f64::from(mean)
        } else {
            0.0
        };
        let log_var = if log_var.is_finite() {
            f64::from(log_var).clamp(-40.0, 40.0)
        } else {
            0.0
        };
        PosteriorBins {
            edges: &self.edges,
            mean,
            std: (0.5 * log_var).exp(),
        }
    }
}

/// A Gaussian posterior integrated over the prior's bins. For the quantizer, symbol `k` spans
/// `[k − ½, k + ½]`, so the CDF at `t` is the Gaussian's CDF at edge `t + ½`.
#[derive(Debug)]
pub(crate) struct PosteriorBins<'a> {
    edges: &'a [f64],
    mean: f64,
    std: f64,
}

impl Distribution for PosteriorBins<'_> {
    type Value = f64;

    fn distribution(&self, t: f64) -> f64 {
        let last = (self.edges.len() - 1) as f64;
        let edge = self.edges[(t + 0.5).round().clamp(0.0, last) as usize];
        standard().distribution((edge - self.mean) / self.std)
    }
}

impl Inverse for PosteriorBins<'_> {
    /// Only a starting point for the quantizer's search: the bin holding the posterior's
    /// p-quantile.
    fn inverse(&self, p: f64) -> f64 {
        let n = standard();
        let z = self.mean + self.std * n.inverse(p);
        (self.edges.len() - 1) as f64 * n.distribution(z) - 0.5
    }
}
