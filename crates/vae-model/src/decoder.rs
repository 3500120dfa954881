use burn::module::{Module, Param};
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor};

use crate::mlp::Mlp;
use crate::{Activation, Likelihood};

/// Generative network: z ↦ parameters of p(x|z).
///
/// The output is logits for [`Likelihood::Bernoulli`], the mean for the Gaussian likelihoods,
/// and locations then log-scales (`2 × input_dim`) for [`Likelihood::DiscretizedLogistic`].
/// With [`Likelihood::GaussianLearned`] the decoder also owns a per-dimension log-variance.
#[derive(Module, Debug)]
pub struct Decoder {
    body: Mlp,
    output: Linear,
    pub(crate) log_var: Option<Param<Tensor<1>>>,
}

impl Decoder {
    pub(crate) fn new(
        latent_dim: usize,
        hidden: &[usize],
        input_dim: usize,
        activation: Activation,
        likelihood: Likelihood,
        device: &Device,
    ) -> Self {
        // Mirror the encoder: latent -> hidden reversed -> input.
        let mut sizes = vec![latent_dim];
        sizes.extend(hidden.iter().rev());
        let last = *sizes.last().unwrap_or(&latent_dim);
        let log_var = matches!(likelihood, Likelihood::GaussianLearned)
            .then(|| Param::from_tensor(Tensor::zeros([input_dim], device)));
        Self {
            body: Mlp::new(&sizes, activation, device),
            output: LinearConfig::new(last, input_dim * likelihood.params_per_dim()).init(device),
            log_var,
        }
    }

    /// `[batch, latent_dim] -> [batch, params_per_dim × input_dim]` likelihood parameters.
    pub fn forward(&self, z: Tensor<2>) -> Tensor<2> {
        self.output.forward(self.body.forward(z))
    }

    /// The learned per-dimension log-variance `[input_dim]`, if the likelihood has one.
    pub fn log_var(&self) -> Option<Tensor<1>> {
        self.log_var.as_ref().map(|p| p.val())
    }
}
