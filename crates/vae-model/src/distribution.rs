use burn::tensor::{Distribution, Tensor};

use crate::LN_2PI;

/// A batch of Gaussians with diagonal covariance, parameterised by mean and log-variance.
///
/// Both tensors are `[batch, dim]`; every reduction below sums over `dim` and returns `[batch]`.
#[derive(Clone, Debug)]
pub struct DiagonalGaussian {
    /// μ, `[batch, dim]`.
    pub mean: Tensor<2>,
    /// ln σ², `[batch, dim]`.
    pub log_var: Tensor<2>,
}

impl DiagonalGaussian {
    /// Wraps a mean and a log-variance of the same shape.
    pub fn new(mean: Tensor<2>, log_var: Tensor<2>) -> Self {
        Self { mean, log_var }
    }

    /// σ = exp(½ ln σ²), `[batch, dim]`.
    pub fn std(&self) -> Tensor<2> {
        self.log_var.clone().mul_scalar(0.5).exp()
    }

    /// Reparameterised sample z = μ + σ ⊙ ε with ε ~ N(0, I), differentiable in μ and σ.
    pub fn sample(&self) -> Tensor<2> {
        let eps = self.mean.random_like(Distribution::Normal(0.0, 1.0));
        self.reparameterize(eps)
    }

    /// z = μ + σ ⊙ ε for given noise `eps` (`[batch, dim]`).
    pub fn reparameterize(&self, eps: Tensor<2>) -> Tensor<2> {
        self.mean.clone() + self.std() * eps
    }

    /// KL(N(μ, σ²) ‖ N(0, I)) = ½ Σ (μ² + σ² − 1 − ln σ²), in nats, `[batch]`.
    pub fn kl_to_standard_normal(&self) -> Tensor<1> {
        let terms = self.mean.clone().powi_scalar(2) + self.log_var.clone().exp()
            - self.log_var.clone()
            - 1.0;
        terms.sum_dim(1).squeeze_dim(1).mul_scalar(0.5)
    }

    /// ln N(z; μ, σ²) summed over dimensions, `[batch]`.
    pub fn log_prob(&self, z: Tensor<2>) -> Tensor<1> {
        let z_std = (z - self.mean.clone()) / self.std();
        (z_std.powi_scalar(2) + self.log_var.clone() + LN_2PI)
            .sum_dim(1)
            .squeeze_dim(1)
            .mul_scalar(-0.5)
    }
}

/// ln N(z; 0, I) summed over the last dimension, `[batch]`.
pub fn standard_normal_log_prob(z: Tensor<2>) -> Tensor<1> {
    (z.powi_scalar(2) + LN_2PI)
        .sum_dim(1)
        .squeeze_dim(1)
        .mul_scalar(-0.5)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_devices;

    fn scalar(t: Tensor<1>) -> f64 {
        t.into_scalar::<f32>() as f64
    }

    #[test]
    fn kl_closed_form_matches_monte_carlo() {
        for device in test_devices() {
            device.seed(7);
            let mean = [0.5f32, -1.0, 0.0];
            let log_var = [0.0f32, -1.5, 0.8];
            let q = DiagonalGaussian::new(
                Tensor::<2>::from_floats([mean], &device),
                Tensor::<2>::from_floats([log_var], &device),
            );
            let analytic = scalar(q.kl_to_standard_normal());
            // Hand-computed: ½ Σ (μ² + σ² − 1 − ln σ²).
            let by_hand: f64 = mean
                .iter()
                .zip(log_var)
                .map(|(&m, lv)| 0.5 * ((m * m) as f64 + (lv as f64).exp() - 1.0 - lv as f64))
                .sum();
            assert!((analytic - by_hand).abs() < 1e-5, "{analytic} vs {by_hand}");

            // E_q[ln q(z) − ln p(z)] from 200 000 samples.
            let n = 200_000;
            let many = DiagonalGaussian::new(
                q.mean.clone().expand([n, 3]),
                q.log_var.clone().expand([n, 3]),
            );
            let z = many.sample();
            let mc = scalar((many.log_prob(z.clone()) - standard_normal_log_prob(z)).mean());
            // Standard error of this estimator is about 0.004 here.
            assert!(
                (mc - analytic).abs() < 0.03,
                "monte carlo {mc} vs analytic {analytic}"
            );
        }
    }

    #[test]
    fn log_prob_matches_hand_computed_density() {
        for device in test_devices() {
            let q = DiagonalGaussian::new(
                Tensor::<2>::from_floats([[1.0, 0.0]], &device),
                Tensor::<2>::from_floats([[0.0, (4.0f32).ln()]], &device),
            );
            let z = Tensor::<2>::from_floats([[2.0, 1.0]], &device);
            // N(2; 1, 1) · N(1; 0, 4)
            let expected = -0.5 * (1.0 + crate::LN_2PI) - 0.5 * (0.25 + 4f64.ln() + crate::LN_2PI);
            let got = scalar(q.log_prob(z));
            assert!((got - expected).abs() < 1e-5, "{got} vs {expected}");
        }
    }

    #[test]
    fn reparameterized_sample_has_the_right_moments() {
        for device in test_devices() {
            device.seed(3);
            let n = 100_000;
            let q = DiagonalGaussian::new(
                Tensor::<2>::full([n, 1], 2.0, &device),
                Tensor::<2>::full([n, 1], (0.25f32).ln(), &device),
            );
            let z = q.sample();
            let mean = scalar(z.clone().mean());
            let var = scalar((z - 2.0).powi_scalar(2).mean());
            assert!((mean - 2.0).abs() < 0.01, "mean {mean}");
            assert!((var - 0.25).abs() < 0.01, "variance {var}");
        }
    }
}
