//! Backend-generic variational autoencoder (Kingma & Welling, 2014).
//!
//! Everything here is written against burn's `Tensor<D>` and `&Device`; the backend is chosen by
//! whoever builds the [`Device`](burn::tensor::Device). The crate does no I/O.
//!
//! - [`VaeConfig`] describes an MLP encoder/decoder pair; [`VaeConfig::init`] builds a [`Vae`].
//! - [`Vae::encode`] gives the amortised posterior q(z|x) as a [`DiagonalGaussian`].
//! - [`Vae::elbo`] gives the per-example evidence lower bound split into its terms ([`Elbo`]).
//! - [`Vae::importance_weighted_log_likelihood`] gives the IWAE bound (Burda et al., 2016).
//!
//! - [`codes`]: latent codes stored at lower precision ([`Precision`]) for lossy compression.
//!
//! Shapes: data `x` is `[batch, input_dim]`, latents `z` are `[batch, latent_dim]`.

mod activation;
pub mod codes;
mod decoder;
mod distribution;
mod elbo;
mod encoder;
mod error;
mod likelihood;
mod mlp;
mod vae;

pub use activation::Activation;
pub use codes::Precision;
pub use decoder::Decoder;
pub use distribution::{DiagonalGaussian, standard_normal_log_prob};
pub use elbo::Elbo;
pub use encoder::Encoder;
pub use error::{ModelError, Result};
pub use likelihood::{Likelihood, MIN_LOG_SCALE};
pub use vae::{Vae, VaeConfig};

/// ln(2π), the normalising constant of a unit Gaussian, per dimension.
pub const LN_2PI: f64 = 1.837_877_066_409_345_5;

/// The CPU devices every unit test runs on.
#[cfg(test)]
pub(crate) fn test_devices() -> Vec<burn::tensor::Device> {
    #[allow(deprecated)] // burn 0.22 deprecates ndarray; our users still ask for it.
    let ndarray = burn::tensor::Device::ndarray();
    #[allow(unused_mut)]
    let mut devices = vec![burn::tensor::Device::flex(), ndarray];
    #[cfg(feature = "tch")]
    #[allow(deprecated)] // burn 0.22 deprecates burn-tch; it is our libtorch backend.
    devices.push(burn::tensor::Device::libtorch());
    devices
}
