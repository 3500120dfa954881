//! Pictures of a trained [`vae_model::Vae`]: what it generates and how it sees its data.
//!
//! - [`pictures`]: the tensors behind each picture (prior samples, reconstructions,
//!   interpolations between codes, traversals of one latent dimension at a time).
//! - [`Grid`]: lays out greyscale images in rows and columns and writes a PNG atomically.
//!
//! This crate knows nothing of training or run directories; `vae-cli` wires it to them.

mod error;
mod grid;
pub mod pictures;

pub use error::{Result, VizError};
pub use grid::Grid;
