use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor};

use crate::mlp::Mlp;
use crate::{Activation, DiagonalGaussian};

/// Inference network: x ↦ q(z|x) = N(μ(x), diag σ²(x)).
#[derive(Module, Debug)]
pub struct Encoder {
    body: Mlp,
    pub(crate) mean: Linear,
    pub(crate) log_var: Linear,
}

impl Encoder {
    pub(crate) fn new(
        input_dim: usize,
        hidden: &[usize],
        latent_dim: usize,
        activation: Activation,
        device: &Device,
    ) -> Self {
        let mut sizes = vec![input_dim];
        sizes.extend_from_slice(hidden);
        let last = *sizes.last().unwrap_or(&input_dim);
        Self {
            body: Mlp::new(&sizes, activation, device),
            mean: LinearConfig::new(last, latent_dim).init(device),
            log_var: LinearConfig::new(last, latent_dim).init(device),
        }
    }

    /// `[batch, input_dim] -> q(z|x)` with parameters `[batch, latent_dim]`.
    pub fn forward(&self, x: Tensor<2>) -> DiagonalGaussian {
        let h = self.body.forward(x);
        DiagonalGaussian::new(self.mean.forward(h.clone()), self.log_var.forward(h))
    }
}
