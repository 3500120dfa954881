use burn::tensor::{Distribution, Tensor, activation};
use serde::{Deserialize, Serialize};

use crate::{LN_2PI, ModelError, Result};

/// The observation model p(x|z) the decoder parameterises.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum Likelihood {
    /// Independent Bernoulli per dimension with decoder logits l:
    /// ln p(x|z) = Σ x·l − softplus(l). On binary x this is a normalised likelihood; on
    /// intensities x ∈ [0, 1] it is the binary cross-entropy of the PyTorch example, which is not
    /// a normalised density over [0, 1] (see the continuous Bernoulli of Loaiza-Ganem &
    /// Cunningham, 2019), so its "bits/dim" are a training score, not a code length.
    #[default]
    Bernoulli,
    /// Gaussian with fixed standard deviation `sigma` around the decoder mean. With σ² = ½ the
    /// negative log-likelihood is the summed squared error plus a constant.
    Gaussian {
        /// Standard deviation σ > 0.
        sigma: f64,
    },
    /// Gaussian whose per-dimension log-variance is a learned parameter of the decoder.
    GaussianLearned,
}

impl Likelihood {
    /// Checks parameters are in range.
    pub fn validate(&self) -> Result<()> {
        match self {
            Self::Gaussian { sigma } if !(sigma.is_finite() && *sigma > 0.0) => Err(
                ModelError::InvalidConfig(format!("gaussian sigma must be positive, got {sigma}")),
            ),
            _ => Ok(()),
        }
    }

    /// Short name, as the CLI spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Bernoulli => "bernoulli",
            Self::Gaussian { .. } => "gaussian",
            Self::GaussianLearned => "gaussian-learned",
        }
    }

    /// ln p(x|z) summed over dimensions, `[batch]`.
    ///
    /// `params` are the decoder outputs `[batch, dim]`; `log_var` is the decoder's learned
    /// log-variance `[dim]`, required for [`Likelihood::GaussianLearned`] and ignored otherwise.
    pub fn log_prob(
        &self,
        x: Tensor<2>,
        params: Tensor<2>,
        log_var: Option<Tensor<1>>,
    ) -> Tensor<1> {
        let per_dim = match self {
            // x·l − softplus(l) = x·l + ln σ(−l), stable for large |l|.
            Self::Bernoulli => x * params.clone() + activation::log_sigmoid(params.neg()),
            Self::Gaussian { sigma } => {
                let log_var = 2.0 * sigma.ln();
                (x - params)
                    .powi_scalar(2)
                    .div_scalar(sigma * sigma)
                    .add_scalar(log_var + LN_2PI)
                    .mul_scalar(-0.5)
            }
            Self::GaussianLearned => {
                let [_, dim] = params.dims();
                let log_var = log_var
                    .unwrap_or_else(|| Tensor::zeros([dim], &params.device()))
                    .unsqueeze_dim::<2>(0);
                let sq = (x - params).powi_scalar(2);
                (sq / log_var.clone().exp() + log_var + LN_2PI).mul_scalar(-0.5)
            }
        };
        per_dim.sum_dim(1).squeeze_dim(1)
    }

    /// The mean of p(x|z) given decoder outputs: σ(l) for Bernoulli, the mean itself otherwise.
    pub fn mean(&self, params: Tensor<2>) -> Tensor<2> {
        match self {
            Self::Bernoulli => activation::sigmoid(params),
            Self::Gaussian { .. } | Self::GaussianLearned => params,
        }
    }

    /// One draw from p(x|z) given decoder outputs (and the learned log-variance, if any),
    /// using the device's generator.
    pub fn sample(&self, params: Tensor<2>, log_var: Option<Tensor<1>>) -> Tensor<2> {
        match self {
            Self::Bernoulli => {
                let p = activation::sigmoid(params);
                p.random_like(Distribution::Default).lower(p).float()
            }
            Self::Gaussian { sigma } => {
                let noise = params.random_like(Distribution::Normal(0.0, 1.0));
                params + noise.mul_scalar(*sigma)
            }
            Self::GaussianLearned => {
                let noise = params.random_like(Distribution::Normal(0.0, 1.0));
                let std = match log_var {
                    Some(lv) => lv.mul_scalar(0.5).exp().unsqueeze_dim::<2>(0),
                    None => params.ones_like(),
                };
                params + noise * std
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_devices;

    fn ln_softplus(l: f64) -> f64 {
        l.max(0.0) + (-l.abs()).exp().ln_1p()
    }

    fn value(t: Tensor<1>) -> f64 {
        t.into_scalar::<f32>() as f64
    }

    #[test]
    fn samples_follow_the_likelihood() {
        for device in test_devices() {
            device.seed(3);
            let n = 20_000;
            // Logit 0.85 gives p = 0.7.
            let logits = Tensor::<2>::full([n, 2], 0.847_297_9, &device);
            let draws = Likelihood::Bernoulli.sample(logits, None);
            let values = draws.clone().into_data().try_to_vec::<f32>().expect("f32");
            assert!(values.iter().all(|&v| v == 0.0 || v == 1.0));
            let mean = value(draws.mean().reshape([1]));
            assert!((mean - 0.7).abs() < 0.01, "Bernoulli mean {mean}");

            let mu = Tensor::<2>::full([n, 1], 0.5, &device);
            let g = Likelihood::Gaussian { sigma: 0.2 }.sample(mu.clone(), None);
            let sd = value(
                g.clone()
                    .sub_scalar(0.5)
                    .powi_scalar(2)
                    .mean()
                    .sqrt()
                    .reshape([1]),
            );
            assert!((value(g.mean().reshape([1])) - 0.5).abs() < 0.01);
            assert!((sd - 0.2).abs() < 0.01, "Gaussian sd {sd}");

            let lv = Tensor::<1>::full([1], (0.3f64 * 0.3).ln(), &device);
            let l = Likelihood::GaussianLearned.sample(mu, Some(lv));
            let sd = value(l.sub_scalar(0.5).powi_scalar(2).mean().sqrt().reshape([1]));
            assert!((sd - 0.3).abs() < 0.01, "learned sd {sd}");
        }
    }

    #[test]
    fn bernoulli_matches_binary_cross_entropy() {
        for device in test_devices() {
            let x = [1.0f32, 0.0, 0.5, 0.2];
            let l = [2.0f32, -1.0, 0.3, -4.0];
            let expected: f64 = x
                .iter()
                .zip(l)
                .map(|(&x, l)| x as f64 * l as f64 - ln_softplus(l as f64))
                .sum();
            let got = value(Likelihood::Bernoulli.log_prob(
                Tensor::<2>::from_floats([x], &device),
                Tensor::<2>::from_floats([l], &device),
                None,
            ));
            assert!((got - expected).abs() < 1e-5, "{got} vs {expected}");
        }
    }

    #[test]
    fn bernoulli_is_stable_for_extreme_logits() {
        for device in test_devices() {
            let got = Likelihood::Bernoulli
                .log_prob(
                    Tensor::<2>::from_floats([[1.0, 0.0, 1.0, 0.0]], &device),
                    Tensor::<2>::from_floats([[200.0, -200.0, -200.0, 200.0]], &device),
                    None,
                )
                .into_scalar::<f32>();
            // ln σ(200) ≈ 0 twice, ln σ(−200) = −200 twice.
            assert!((got + 400.0).abs() < 1e-3, "{got}");
        }
    }

    #[test]
    fn gaussian_fixed_sigma_matches_density() {
        for device in test_devices() {
            let sigma = 0.5;
            let x = [0.0f32, 1.0, -2.0];
            let mu = [0.5f32, 1.0, 0.0];
            let expected: f64 = x
                .iter()
                .zip(mu)
                .map(|(&x, m)| {
                    let d = (x - m) as f64;
                    -0.5 * (d * d / (sigma * sigma) + (sigma * sigma).ln() + crate::LN_2PI)
                })
                .sum();
            let got = value(Likelihood::Gaussian { sigma }.log_prob(
                Tensor::<2>::from_floats([x], &device),
                Tensor::<2>::from_floats([mu], &device),
                None,
            ));
            assert!((got - expected).abs() < 1e-4, "{got} vs {expected}");
        }
    }

    #[test]
    fn gaussian_learned_uses_the_given_log_variance() {
        for device in test_devices() {
            let log_var = [0.0f32, (9.0f32).ln()];
            let got = value(Likelihood::GaussianLearned.log_prob(
                Tensor::<2>::from_floats([[1.0, 3.0]], &device),
                Tensor::<2>::from_floats([[0.0, 0.0]], &device),
                Some(Tensor::<1>::from_floats(log_var, &device)),
            ));
            // N(1; 0, 1) · N(3; 0, 9)
            let expected = -0.5 * (1.0 + crate::LN_2PI) - 0.5 * (1.0 + 9f64.ln() + crate::LN_2PI);
            assert!((got - expected).abs() < 1e-4, "{got} vs {expected}");
        }
    }

    #[test]
    fn non_positive_sigma_is_rejected() {
        assert!(Likelihood::Gaussian { sigma: 0.0 }.validate().is_err());
        assert!(Likelihood::Gaussian { sigma: f64::NAN }.validate().is_err());
        assert!(Likelihood::Gaussian { sigma: 0.1 }.validate().is_ok());
    }
}
