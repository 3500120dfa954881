use burn::config::Config;
use burn::module::Module;
use burn::tensor::{Device, Distribution, Tensor};

use crate::distribution::standard_normal_log_prob;
use crate::{Activation, Decoder, DiagonalGaussian, Elbo, Encoder, Likelihood, ModelError};

/// Architecture and objective of a [`Vae`]. The default is the PyTorch example's model:
/// 784-400-20, ReLU, Bernoulli likelihood, β = 1.
#[derive(Config, Debug, PartialEq)]
pub struct VaeConfig {
    /// Dimension D of one flattened example.
    #[config(default = 784)]
    pub input_dim: usize,
    /// Hidden layer widths of the encoder; the decoder mirrors them.
    #[config(default = "vec![400]")]
    pub hidden: Vec<usize>,
    /// Latent dimension.
    #[config(default = 20)]
    pub latent_dim: usize,
    /// Hidden-layer non-linearity.
    #[config(default = "Activation::Relu")]
    pub activation: Activation,
    /// Observation model p(x|z).
    #[config(default = "Likelihood::Bernoulli")]
    pub likelihood: Likelihood,
    /// Weight of the KL term in the training loss (1 = the ELBO).
    #[config(default = 1.0)]
    pub beta: f64,
}

impl VaeConfig {
    /// Checks every size and parameter is usable.
    pub fn validate(&self) -> crate::Result<()> {
        let bad = |msg: String| Err(ModelError::InvalidConfig(msg));
        if self.input_dim == 0 {
            return bad("input_dim must be at least 1".into());
        }
        if self.latent_dim == 0 {
            return bad("latent_dim must be at least 1".into());
        }
        if self.hidden.contains(&0) {
            return bad(format!(
                "hidden layer widths must be at least 1, got {:?}",
                self.hidden
            ));
        }
        if !(self.beta.is_finite() && self.beta >= 0.0) {
            return bad(format!(
                "beta must be finite and non-negative, got {}",
                self.beta
            ));
        }
        self.likelihood.validate()
    }

    /// The number of scalar parameters of the model, or `None` if it overflows `usize`.
    /// Lets a loader compare a weights file's size with the config before allocating.
    pub fn num_params(&self) -> Option<usize> {
        let linear = |i: usize, o: usize| i.checked_mul(o)?.checked_add(o);
        let mut widths = vec![self.input_dim];
        widths.extend(&self.hidden);
        let mut total = 0usize;
        for pair in widths.windows(2) {
            // The encoder layer and its mirror in the decoder.
            total = total.checked_add(linear(pair[0], pair[1])?)?;
            total = total.checked_add(linear(pair[1], pair[0])?)?;
        }
        let last = *widths.last()?;
        // Encoder mean and log-variance heads, decoder input layer.
        total = total.checked_add(linear(last, self.latent_dim)?.checked_mul(2)?)?;
        total = total.checked_add(linear(self.latent_dim, last)?)?;
        if matches!(self.likelihood, Likelihood::GaussianLearned) {
            total = total.checked_add(self.input_dim)?;
        }
        // Extra output rows (and biases) for likelihoods with several parameters per dimension.
        let fan_in = self.hidden.first().copied().unwrap_or(self.latent_dim);
        let extra =
            (self.likelihood.params_per_dim() - 1).checked_mul(linear(fan_in, self.input_dim)?)?;
        total = total.checked_add(extra)?;
        Some(total)
    }

    /// Builds a freshly initialised model on `device` (use `device.autodiff()` to train it).
    ///
    /// ```
    /// use burn::tensor::{Device, Tensor};
    /// use vae_model::VaeConfig;
    ///
    /// let device = Device::flex();
    /// let vae = VaeConfig::new().with_hidden(vec![32]).with_latent_dim(2).init(&device);
    /// let x = Tensor::<2>::zeros([3, 784], &device);
    /// assert_eq!(vae.encode(x).mean.dims(), [3, 2]);
    /// ```
    pub fn init(&self, device: &Device) -> Vae {
        Vae {
            encoder: Encoder::new(
                self.input_dim,
                &self.hidden,
                self.latent_dim,
                self.activation,
                device,
            ),
            decoder: Decoder::new(
                self.latent_dim,
                &self.hidden,
                self.input_dim,
                self.activation,
                self.likelihood,
                device,
            ),
            likelihood: self.likelihood,
            beta: self.beta,
            input_dim: self.input_dim,
            latent_dim: self.latent_dim,
        }
    }
}

/// A variational autoencoder: an [`Encoder`] for q(z|x), a [`Decoder`] for p(x|z) and the prior
/// p(z) = N(0, I).
#[derive(Module, Debug)]
pub struct Vae {
    /// Inference network.
    pub encoder: Encoder,
    /// Generative network.
    pub decoder: Decoder,
    #[module(skip)]
    likelihood: Likelihood,
    beta: f64,
    input_dim: usize,
    latent_dim: usize,
}

impl Vae {
    /// The observation model.
    pub fn likelihood(&self) -> Likelihood {
        self.likelihood
    }

    /// Weight of the KL term in the training loss ([`Elbo::loss`]).
    pub fn beta(&self) -> f64 {
        self.beta
    }

    /// Dimension of one example.
    pub fn input_dim(&self) -> usize {
        self.input_dim
    }

    /// Dimension of the latent space.
    pub fn latent_dim(&self) -> usize {
        self.latent_dim
    }

    /// q(z|x) for `x: [batch, input_dim]`.
    pub fn encode(&self, x: Tensor<2>) -> DiagonalGaussian {
        self.encoder.forward(x)
    }

    /// Decoder outputs for `z: [batch, latent_dim]`: `[batch, params_per_dim × input_dim]`.
    pub fn decode(&self, z: Tensor<2>) -> Tensor<2> {
        self.decoder.forward(z)
    }

    /// The mean of p(x|z), `[batch, input_dim]` (probabilities for Bernoulli).
    pub fn decode_mean(&self, z: Tensor<2>) -> Tensor<2> {
        self.likelihood.mean(self.decode(z))
    }

    /// One draw from p(x|z) for `z: [batch, latent_dim]`, `[batch, input_dim]`.
    pub fn decode_sample(&self, z: Tensor<2>) -> Tensor<2> {
        self.likelihood
            .sample(self.decode(z), self.decoder.log_var())
    }

    /// ln p(x|z) per example for decoder outputs `params`, `[batch]`.
    pub fn log_likelihood(&self, x: Tensor<2>, params: Tensor<2>) -> Tensor<1> {
        self.likelihood.log_prob(x, params, self.decoder.log_var())
    }

    /// Encode, draw one reparameterised z, decode: returns (q(z|x), z, decoder outputs).
    pub fn forward(&self, x: Tensor<2>) -> (DiagonalGaussian, Tensor<2>, Tensor<2>) {
        let posterior = self.encode(x);
        let z = posterior.sample();
        let params = self.decode(z.clone());
        (posterior, z, params)
    }

    /// Single-sample ELBO terms per example.
    pub fn elbo(&self, x: Tensor<2>) -> Elbo {
        let (posterior, _z, params) = self.forward(x.clone());
        Elbo {
            log_likelihood: self.log_likelihood(x, params),
            kl: posterior.kl_to_standard_normal(),
        }
    }

    /// Importance-weighted lower bound on ln p(x) with `k` samples from q(z|x), `[batch]`:
    ///
    /// ln p(x) ≥ ln (1/k) Σᵢ p(x|zᵢ) p(zᵢ) / q(zᵢ|x),  zᵢ ~ q(z|x).
    ///
    /// It equals the ELBO in expectation for k = 1 and tightens as k grows (Burda et al., 2016).
    /// Samples are drawn in chunks so that at most about `max_elements` decoder outputs are
    /// alive at once, whatever `k`.
    pub fn importance_weighted_log_likelihood(
        &self,
        x: Tensor<2>,
        k: usize,
        max_elements: usize,
    ) -> Tensor<1> {
        let [batch, dim] = x.dims();
        let k = k.max(1);
        let posterior = self.encode(x.clone());
        let chunk = (max_elements / (batch * dim).max(1)).clamp(1, k);
        let mut log_weights: Vec<Tensor<2>> = Vec::with_capacity(k.div_ceil(chunk));
        let mut done = 0;
        while done < k {
            let c = chunk.min(k - done);
            log_weights.push(self.log_weights(&x, &posterior, c));
            done += c;
        }
        // [k, batch] -> log-mean-exp over the samples.
        let log_w = Tensor::cat(log_weights, 0);
        let max = log_w.clone().max_dim(0).detach();
        let lse = (log_w - max.clone()).exp().sum_dim(0).log() + max;
        lse.squeeze_dim::<1>(0).sub_scalar((k as f64).ln())
    }

    /// ln p(x|z) + ln p(z) − ln q(z|x) for `c` fresh samples per example, `[c, batch]`.
    fn log_weights(&self, x: &Tensor<2>, posterior: &DiagonalGaussian, c: usize) -> Tensor<2> {
        let [batch, dim] = x.dims();
        let latent = self.latent_dim;
        // Stack c copies of the batch so one decoder call covers all samples: [c * batch, ·].
        let rep = |t: &Tensor<2>, d: usize| {
            t.clone()
                .unsqueeze_dim::<3>(0)
                .expand([c, batch, d])
                .reshape([c * batch, d])
        };
        let q = DiagonalGaussian::new(
            rep(&posterior.mean, latent),
            rep(&posterior.log_var, latent),
        );
        let eps = Tensor::random(
            [c * batch, latent],
            Distribution::Normal(0.0, 1.0),
            &x.device(),
        );
        let z = q.reparameterize(eps);
        let params = self.decode(z.clone());
        let log_px = self.log_likelihood(rep(x, dim), params);
        let log_w = log_px + standard_normal_log_prob(z.clone()) - q.log_prob(z);
        log_w.reshape([c, batch])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_devices;

    fn small(likelihood: Likelihood) -> VaeConfig {
        VaeConfig::new()
            .with_input_dim(12)
            .with_hidden(vec![16])
            .with_latent_dim(3)
            .with_likelihood(likelihood)
    }

    #[test]
    fn num_params_counts_what_init_allocates() {
        let device = Device::flex();
        for (hidden, likelihood) in [
            (vec![], Likelihood::Bernoulli),
            (vec![16], Likelihood::GaussianLearned),
            (vec![7, 5], Likelihood::Bernoulli),
            (vec![], Likelihood::DiscretizedLogistic),
            (vec![9, 4], Likelihood::DiscretizedLogistic),
        ] {
            let config = small(likelihood).with_hidden(hidden);
            assert_eq!(config.num_params(), Some(config.init(&device).num_params()));
        }
        assert_eq!(
            small(Likelihood::Bernoulli)
                .with_hidden(vec![usize::MAX])
                .num_params(),
            None
        );
    }

    fn binary_batch(device: &Device) -> Tensor<2> {
        Tensor::<2>::random([4, 12], Distribution::Bernoulli(0.4), device)
    }

    fn mean(t: Tensor<1>) -> f64 {
        t.mean().into_scalar::<f32>() as f64
    }

    #[test]
    fn iw_bound_with_one_sample_is_the_elbo_in_expectation_and_rises_with_k() {
        for device in test_devices() {
            device.seed(11);
            let vae = small(Likelihood::Bernoulli).init(&device);
            let x = binary_batch(&device);
            // Average every estimator over many draws on copies of the same batch.
            let [b, d] = x.dims();
            let copies = |reps: usize| {
                x.clone()
                    .unsqueeze_dim::<3>(0)
                    .expand([reps, b, d])
                    .reshape([reps * b, d])
            };
            let elbo = -mean(vae.elbo(copies(4000)).neg_elbo());
            let iw =
                |k, reps| mean(vae.importance_weighted_log_likelihood(copies(reps), k, 1 << 22));
            let iw1 = iw(1, 4000);
            assert!((elbo - iw1).abs() < 0.05, "ELBO {elbo} vs IW(k=1) {iw1}");
            let iw10 = iw(10, 1000);
            let iw200 = iw(200, 200);
            assert!(iw10 > elbo, "IW(k=10) {iw10} should exceed the ELBO {elbo}");
            assert!(
                iw200 > iw10,
                "IW(k=200) {iw200} should exceed IW(k=10) {iw10}"
            );
        }
    }

    #[test]
    fn iw_bound_does_not_depend_on_the_chunk_size_beyond_noise() {
        for device in test_devices() {
            device.seed(5);
            let vae = small(Likelihood::Bernoulli).init(&device);
            let x = binary_batch(&device);
            let whole = mean(vae.importance_weighted_log_likelihood(x.clone(), 2000, 1 << 24));
            // 48 elements per chunk: one sample at a time.
            let chunked = mean(vae.importance_weighted_log_likelihood(x, 2000, 48));
            assert!((whole - chunked).abs() < 0.05, "{whole} vs {chunked}");
        }
    }

    #[test]
    fn gradients_reach_the_encoder_through_the_reparameterisation() {
        for device in test_devices() {
            let device = device.autodiff();
            for likelihood in [Likelihood::Bernoulli, Likelihood::GaussianLearned] {
                let vae = small(likelihood).init(&device);
                let x = binary_batch(&device);
                // Only the reconstruction term: its gradient reaches the encoder only through z.
                let (_, _, params) = vae.forward(x.clone());
                let grads = vae.log_likelihood(x, params).sum().neg().backward();
                for (name, weight) in [
                    ("mean", vae.encoder.mean.weight.val()),
                    ("log_var", vae.encoder.log_var.weight.val()),
                ] {
                    let g = weight.grad(&grads).expect("encoder weight has a gradient");
                    let norm = g.abs().sum().into_scalar::<f32>();
                    assert!(norm > 0.0, "{name} head got a zero gradient");
                }
                if let Some(lv) = &vae.decoder.log_var {
                    assert!(
                        lv.val().grad(&grads).is_some(),
                        "learned log-variance gets no gradient"
                    );
                }
            }
        }
    }

    #[test]
    fn default_config_is_the_pytorch_reference() {
        let c = VaeConfig::new();
        assert_eq!(
            (c.input_dim, c.hidden.clone(), c.latent_dim),
            (784, vec![400], 20)
        );
        assert_eq!(
            (c.activation, c.likelihood, c.beta),
            (Activation::Relu, Likelihood::Bernoulli, 1.0)
        );
        assert!(c.validate().is_ok());
        assert!(c.clone().with_latent_dim(0).validate().is_err());
        assert!(c.clone().with_hidden(vec![0]).validate().is_err());
        assert!(c.with_beta(-1.0).validate().is_err());
    }

    #[test]
    fn config_round_trips_through_json() {
        let c = VaeConfig::new()
            .with_hidden(vec![256, 128])
            .with_likelihood(Likelihood::Gaussian { sigma: 0.1 })
            .with_activation(Activation::Gelu);
        let json = burn::config::config_to_json(&c);
        let back = VaeConfig::load_binary(json.as_bytes()).expect("parses");
        assert_eq!(back, c);
    }
}
