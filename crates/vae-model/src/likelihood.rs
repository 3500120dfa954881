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
    /// For 8-bit data x = k/255, k ∈ {0, …, 255}: a logistic with location μ and scale s
    /// per dimension, integrated over each level's bin [x − ½/255, x + ½/255], the end bins
    /// extended to ±∞ (Salimans et al., 2017). A normalised distribution over the 256 levels,
    /// so its −ELBO in bits/dim is a code length. The decoder outputs μ and ln s for every
    /// dimension (`2 × dim` values).
    DiscretizedLogistic,
    /// For 8-bit data: a mixture of `components` discretised logistics per dimension
    /// (PixelCNN++'s likelihood without its colour coupling), so one pixel can be "background
    /// or stroke". The decoder outputs mixture logits, then locations, then log-scales, each
    /// `components × dim` values, component-major.
    LogisticMixture {
        /// Mixture components K ≥ 1.
        components: usize,
    },
}

/// The CLI's name, with the parameters: `gaussian (sigma 0.5)`, `logistic-mixture (3 components)`.
impl std::fmt::Display for Likelihood {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Gaussian { sigma } => write!(f, "{} (sigma {sigma})", self.name()),
            Self::LogisticMixture { components } => {
                write!(f, "{} ({components} components)", self.name())
            }
            _ => f.write_str(self.name()),
        }
    }
}

/// Half the width of one of 256 levels on [0, 1].
const HALF_BIN: f64 = 0.5 / 255.0;
/// The smallest ln s the discretised logistics use (PixelCNN++'s bound).
pub const MIN_LOG_SCALE: f64 = -7.0;

impl Likelihood {
    /// Checks parameters are in range.
    pub fn validate(&self) -> Result<()> {
        match self {
            Self::Gaussian { sigma } if !(sigma.is_finite() && *sigma > 0.0) => Err(
                ModelError::InvalidConfig(format!("gaussian sigma must be positive, got {sigma}")),
            ),
            Self::LogisticMixture { components } if !(1..=16).contains(components) => {
                Err(ModelError::InvalidConfig(format!(
                    "a logistic mixture needs 1 to 16 components, got {components}"
                )))
            }
            _ => Ok(()),
        }
    }

    /// Short name, as the CLI spells it.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Bernoulli => "bernoulli",
            Self::Gaussian { .. } => "gaussian",
            Self::GaussianLearned => "gaussian-learned",
            Self::DiscretizedLogistic => "discretized-logistic",
            Self::LogisticMixture { .. } => "logistic-mixture",
        }
    }

    /// Decoder outputs per data dimension.
    pub fn params_per_dim(&self) -> usize {
        match self {
            Self::DiscretizedLogistic => 2,
            Self::LogisticMixture { components } => 3 * components,
            _ => 1,
        }
    }

    /// Whether it models 8-bit levels (and so needs byte data, not standardised reals).
    pub fn is_discrete_8bit(&self) -> bool {
        matches!(
            self,
            Self::DiscretizedLogistic | Self::LogisticMixture { .. }
        )
    }

    /// Location μ and clamped ln s of the discretised logistic from `[batch, 2·dim]` outputs.
    fn location_and_log_scale(params: Tensor<2>) -> (Tensor<2>, Tensor<2>) {
        let [batch, two_dim] = params.dims();
        let dim = two_dim / 2;
        let mu = params.clone().slice([0..batch, 0..dim]);
        let log_s = params
            .slice([0..batch, dim..2 * dim])
            .clamp_min(MIN_LOG_SCALE);
        (mu, log_s)
    }

    /// Mixture logits, locations and clamped ln s, each `[batch, K, dim]`, from
    /// `[batch, 3·K·dim]` outputs.
    fn mixture_parts(params: Tensor<2>, k: usize) -> (Tensor<3>, Tensor<3>, Tensor<3>) {
        let [batch, total] = params.dims();
        let dim = total / (3 * k);
        let p = params.reshape([batch, 3 * k, dim]);
        let logits = p.clone().slice([0..batch, 0..k, 0..dim]);
        let mu = p.clone().slice([0..batch, k..2 * k, 0..dim]);
        let log_s = p
            .slice([0..batch, 2 * k..3 * k, 0..dim])
            .clamp_min(MIN_LOG_SCALE);
        (logits, mu, log_s)
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
            Self::Bernoulli => return bernoulli_log_prob(x, params),
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
            Self::DiscretizedLogistic => {
                let (mu, log_s) = Self::location_and_log_scale(params);
                discretized_logistic_log_prob(x, mu, log_s)
            }
            Self::LogisticMixture { components: k } => {
                let (logits, mu, log_s) = Self::mixture_parts(params, *k);
                let [batch, dim] = x.dims();
                let x = x.unsqueeze_dim::<3>(1).repeat_dim(1, *k);
                // ln Σ_k π_k p_k(x), via the max for stability.
                let terms = discretized_logistic_log_prob(x, mu, log_s)
                    + activation::log_softmax(logits, 1);
                let max = terms.clone().max_dim(1);
                ((terms - max.clone()).exp().sum_dim(1).log() + max).reshape([batch, dim])
            }
        };
        per_dim.sum_dim(1).squeeze_dim(1)
    }

    /// The mean of p(x|z) given decoder outputs: σ(l) for Bernoulli, the mean itself for the
    /// Gaussians, and for the discretised logistic its location clamped to [0, 1] (its median
    /// level, up to rounding).
    pub fn mean(&self, params: Tensor<2>) -> Tensor<2> {
        match self {
            Self::Bernoulli => activation::sigmoid(params),
            Self::Gaussian { .. } | Self::GaussianLearned => params,
            Self::DiscretizedLogistic => Self::location_and_log_scale(params).0.clamp(0.0, 1.0),
            Self::LogisticMixture { components: k } => {
                let (logits, mu, _) = Self::mixture_parts(params, *k);
                let [batch, _, dim] = mu.dims();
                (activation::softmax(logits, 1) * mu.clamp(0.0, 1.0))
                    .sum_dim(1)
                    .reshape([batch, dim])
            }
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
            Self::DiscretizedLogistic => {
                let (mu, log_s) = Self::location_and_log_scale(params);
                logistic_level_draw(mu, log_s)
            }
            Self::LogisticMixture { components: k } => {
                // A component per element by the Gumbel-max trick, then its logistic.
                let (logits, mu, log_s) = Self::mixture_parts(params, *k);
                let [batch, _, dim] = mu.dims();
                let u = logits.random_like(Distribution::Uniform(1e-6, 1.0 - 1e-6));
                let gumbel = u.log().neg().log().neg();
                let pick = (logits + gumbel).argmax(1);
                let mu = mu.gather(1, pick.clone()).reshape([batch, dim]);
                let log_s = log_s.gather(1, pick).reshape([batch, dim]);
                logistic_level_draw(mu, log_s)
            }
        }
    }
}

/// Σ_d x·l − softplus(l) per row for logits l, `[batch]`, written x·l + ln σ(−l) so that it is
/// stable for large |l|.
///
/// Its gradient with respect to l is x − σ(l). Autodiff through ln σ builds that from about 15
/// element-wise passes over `[batch, dim]` (burn's composite log-sigmoid backward), which cost
/// libtorch training several percent of its step time. So the value is computed off the graph
/// and the gradient enters through Σ l·(x − σ(l)) with x − σ(l) held constant: one pass
/// backward. The value is unchanged up to float rounding.
fn bernoulli_log_prob(x: Tensor<2>, logits: Tensor<2>) -> Tensor<1> {
    let row_sums = |t: Tensor<2>| t.sum_dim(1).squeeze_dim::<1>(1);
    let constant = logits.clone().detach();
    let value =
        row_sums(x.clone() * constant.clone() + activation::log_sigmoid(constant.clone().neg()));
    if !logits.is_autodiff() {
        return value;
    }
    let slope = x - activation::sigmoid(constant);
    let surrogate = row_sums(logits * slope);
    (value - surrogate.clone()).detach() + surrogate
}

/// Inverse-CDF draw μ + s·ln(u/(1−u)), then the level it falls in, on [0, 1].
fn logistic_level_draw(mu: Tensor<2>, log_s: Tensor<2>) -> Tensor<2> {
    let u = mu.random_like(Distribution::Uniform(1e-6, 1.0 - 1e-6));
    let logit = u.clone().log() - u.neg().add_scalar(1.0).log();
    (mu + log_s.exp() * logit)
        .mul_scalar(255.0)
        .round()
        .clamp(0.0, 255.0)
        .div_scalar(255.0)
}

/// ln P(level) per element for the discretised logistic with location `mu` and clamped log-scale
/// `log_s`, any rank.
fn discretized_logistic_log_prob<const R: usize>(
    x: Tensor<R>,
    mu: Tensor<R>,
    log_s: Tensor<R>,
) -> Tensor<R> {
    let inv_s = log_s.clone().neg().exp();
    let centred = x.clone() - mu;
    let plus = (centred.clone().add_scalar(HALF_BIN)) * inv_s.clone();
    let minus = (centred.clone().sub_scalar(HALF_BIN)) * inv_s.clone();
    // ln F(plus) for level 0, ln(1 − F(minus)) for level 255.
    let log_cdf_plus = activation::log_sigmoid(plus.clone());
    let log_one_minus_cdf_minus = activation::log_sigmoid(minus.clone().neg());
    // Interior levels: ln(F(plus) − F(minus)); when that difference underflows,
    // the density at the bin's centre times the bin's width.
    let delta = activation::sigmoid(plus) - activation::sigmoid(minus);
    let mid = centred * inv_s;
    let log_pdf_mid = mid.clone() - log_s - activation::softplus(mid, 1.0).mul_scalar(2.0);
    let log_mid = delta.clone().clamp_min(1e-12).log().mask_where(
        delta.lower_elem(1e-5),
        log_pdf_mid.add_scalar((2.0 * HALF_BIN).ln()),
    );
    log_mid
        .mask_where(x.clone().lower_elem(HALF_BIN), log_cdf_plus)
        .mask_where(x.greater_elem(1.0 - HALF_BIN), log_one_minus_cdf_minus)
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
    fn bernoulli_gradient_is_x_minus_sigmoid() {
        for device in test_devices() {
            let device = device.autodiff();
            let x = [[1.0f32, 0.0, 0.5, 0.2], [0.0, 1.0, 1.0, 0.0]];
            let l = [[2.0f32, -1.0, 0.3, -4.0], [30.0, -30.0, 0.0, 7.5]];
            let logits = Tensor::<2>::from_floats(l, &device).require_grad();
            let ll = Likelihood::Bernoulli.log_prob(
                Tensor::<2>::from_floats(x, &device),
                logits.clone(),
                None,
            );
            // Weights per row check that the gradient follows the upstream one.
            let weights = Tensor::<1>::from_floats([1.0, -2.0], &device);
            let rows = ll.clone().into_data().try_to_vec::<f32>().expect("f32");
            let grads = (ll * weights).sum().backward();
            let grad = logits.grad(&grads).expect("logits are tracked");
            let grad = grad.into_data().try_to_vec::<f32>().expect("f32");
            for (r, w) in [1.0f64, -2.0].into_iter().enumerate() {
                let expected: f64 = (0..4)
                    .map(|d| x[r][d] as f64 * l[r][d] as f64 - ln_softplus(l[r][d] as f64))
                    .sum();
                assert!(
                    (rows[r] as f64 - expected).abs() < 1e-4,
                    "row {r}: {} vs {expected}",
                    rows[r]
                );
                for d in 0..4 {
                    let sigmoid = 1.0 / (1.0 + (-l[r][d] as f64).exp());
                    let want = w * (x[r][d] as f64 - sigmoid);
                    let got = grad[r * 4 + d] as f64;
                    assert!((got - want).abs() < 1e-6, "d/dl[{r}][{d}]: {got} vs {want}");
                }
            }
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

    /// ln P(level k) of the discretised logistic, in f64 from the logistic CDF.
    fn discretized_logistic(k: u32, mu: f64, log_s: f64) -> f64 {
        let s = log_s.max(MIN_LOG_SCALE).exp();
        let cdf = |x: f64| 1.0 / (1.0 + (-(x - mu) / s).exp());
        let x = f64::from(k) / 255.0;
        let hi = if k == 255 { 1.0 } else { cdf(x + HALF_BIN) };
        let lo = if k == 0 { 0.0 } else { cdf(x - HALF_BIN) };
        (hi - lo).ln()
    }

    /// ln p of one-dimensional examples `x` (one per row) under per-row decoder outputs.
    fn levels_log_prob(
        likelihood: Likelihood,
        x: Vec<f32>,
        params: Vec<f32>,
        device: &burn::tensor::Device,
    ) -> Vec<f32> {
        let rows = x.len();
        let cols = params.len() / rows;
        likelihood
            .log_prob(
                Tensor::<2>::from_data(burn::tensor::TensorData::new(x, [rows, 1]), device),
                Tensor::<2>::from_data(burn::tensor::TensorData::new(params, [rows, cols]), device),
                None,
            )
            .into_data()
            .try_to_vec::<f32>()
            .expect("f32")
    }

    #[test]
    fn discretized_logistic_is_normalised_over_256_levels_and_matches_its_cdf() {
        for device in test_devices() {
            for (mu, log_s) in [(0.5f32, -3.0f32), (0.0, -4.5), (1.02, -2.0), (0.3, 0.5)] {
                // One row per level: x = k/255 with the same (μ, ln s) in every row.
                let x: Vec<f32> = (0..256).map(|k| k as f32 / 255.0).collect();
                let params: Vec<f32> = (0..256).flat_map(|_| [mu, log_s]).collect();
                let log_p = levels_log_prob(Likelihood::DiscretizedLogistic, x, params, &device);
                let total: f64 = log_p.iter().map(|&l| f64::from(l).exp()).sum();
                assert!(
                    (total - 1.0).abs() < 1e-3,
                    "μ {mu}, ln s {log_s}: Σ p = {total}"
                );
                for k in [0u32, 1, 77, 128, 254, 255] {
                    let expected = discretized_logistic(k, f64::from(mu), f64::from(log_s));
                    let got = f64::from(log_p[k as usize]);
                    // Interior levels far in the tail use the density approximation.
                    if expected > -10.0 {
                        assert!((got - expected).abs() < 2e-3, "k {k}: {got} vs {expected}");
                    }
                }
            }
        }
    }

    #[test]
    fn logistic_mixture_is_normalised_and_matches_its_components() {
        let (w, comps) = (
            [0.2f64, 0.5, 0.3],
            [(0.0f32, -4.0f32), (1.0, -4.5), (0.45, -2.5)],
        );
        let ln_w: Vec<f32> = w.iter().map(|v| v.ln() as f32).collect();
        for device in test_devices() {
            let x: Vec<f32> = (0..256).map(|k| k as f32 / 255.0).collect();
            let row: Vec<f32> = ln_w
                .iter()
                .copied()
                .chain(comps.iter().map(|c| c.0))
                .chain(comps.iter().map(|c| c.1))
                .collect();
            let params: Vec<f32> = (0..256).flat_map(|_| row.clone()).collect();
            let mixture = Likelihood::LogisticMixture { components: 3 };
            let log_p = levels_log_prob(mixture, x, params, &device);
            let total: f64 = log_p.iter().map(|&l| f64::from(l).exp()).sum();
            assert!((total - 1.0).abs() < 1e-3, "Σ p = {total}");
            for k in [0u32, 1, 100, 115, 200, 255] {
                let expected: f64 = w
                    .iter()
                    .zip(comps)
                    .map(|(w, (mu, ls))| {
                        w * discretized_logistic(k, f64::from(mu), f64::from(ls)).exp()
                    })
                    .sum::<f64>()
                    .ln();
                let got = f64::from(log_p[k as usize]);
                assert!((got - expected).abs() < 2e-3, "k {k}: {got} vs {expected}");
            }
            // Mean Σ π_k clamp(μ_k); draws are levels, each near one of the components.
            let params = Tensor::<2>::from_data(
                burn::tensor::TensorData::new(row.repeat(4000), [4000, 9]),
                &device,
            );
            let mean = mixture
                .mean(params.clone())
                .into_data()
                .try_to_vec::<f32>()
                .expect("f32");
            assert!(
                (f64::from(mean[0]) - (0.5 + 0.3 * 0.45)).abs() < 1e-5,
                "{}",
                mean[0]
            );
            device.seed(3);
            let draws = mixture
                .sample(params, None)
                .into_data()
                .try_to_vec::<f32>()
                .expect("f32");
            let at = |v: f32| {
                draws
                    .iter()
                    .filter(|&&d| (d - v).abs() < 0.5 / 255.0)
                    .count() as f64
                    / 4000.0
            };
            // P(level 0) = 0.2 · σ(½/255 / e⁻⁴) = 0.105 and P(level 255) = 0.5 · 0.544 = 0.272.
            let p0 = 0.2 * discretized_logistic(0, 0.0, -4.0).exp();
            let p255 = 0.5 * discretized_logistic(255, 1.0, -4.5).exp();
            assert!(
                (at(0.0) - p0).abs() < 0.02 && (at(1.0) - p255).abs() < 0.02,
                "{} {}",
                at(0.0),
                at(1.0)
            );
        }
    }

    #[test]
    fn discretized_logistic_mean_and_samples_are_levels() {
        for device in test_devices() {
            device.seed(5);
            let n = 20_000;
            let params = Tensor::<2>::from_data(
                burn::tensor::TensorData::new([0.4f32, -3.5].repeat(n), [n, 2]),
                &device,
            );
            let mean = Likelihood::DiscretizedLogistic.mean(params.clone());
            assert_eq!(mean.dims(), [n, 1]);
            let draws = Likelihood::DiscretizedLogistic.sample(params, None);
            let values = draws.into_data().try_to_vec::<f32>().expect("f32");
            assert!(
                values
                    .iter()
                    .all(|v| ((v * 255.0).round() - v * 255.0).abs() < 1e-3)
            );
            let avg = values.iter().map(|&v| f64::from(v)).sum::<f64>() / n as f64;
            // Symmetric around μ = 0.4 (no clamping this far from the ends).
            assert!((avg - 0.4).abs() < 0.005, "mean draw {avg}");
        }
    }

    #[test]
    fn non_positive_sigma_is_rejected() {
        assert!(Likelihood::Gaussian { sigma: 0.0 }.validate().is_err());
        assert!(Likelihood::Gaussian { sigma: f64::NAN }.validate().is_err());
        assert!(Likelihood::Gaussian { sigma: 0.1 }.validate().is_ok());
    }
}
