use burn::module::Module;
use burn::nn::{Linear, LinearConfig};
use burn::tensor::{Device, Tensor};

use crate::Activation;

/// A stack of linear layers, each followed by the activation.
#[derive(Module, Debug)]
pub(crate) struct Mlp {
    layers: Vec<Linear>,
    #[module(skip)]
    activation: Activation,
}

impl Mlp {
    /// Layers `sizes[0] -> sizes[1] -> ... -> sizes[n]`; no layer when `sizes` has one entry.
    pub(crate) fn new(sizes: &[usize], activation: Activation, device: &Device) -> Self {
        let layers = sizes
            .windows(2)
            .map(|w| LinearConfig::new(w[0], w[1]).init(device))
            .collect();
        Self { layers, activation }
    }

    /// `[batch, sizes[0]] -> [batch, sizes[n]]`
    pub(crate) fn forward(&self, mut x: Tensor<2>) -> Tensor<2> {
        for layer in &self.layers {
            x = self.activation.forward(layer.forward(x));
        }
        x
    }
}
