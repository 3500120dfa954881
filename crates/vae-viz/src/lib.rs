//! Pictures of a trained [`vae_model::Vae`]: what it generates and how it sees its data.
//!
//! - [`pictures`]: the tensors behind each picture (prior samples, reconstructions,
//!   interpolations between codes, traversals of one latent dimension at a time).
//! - [`Grid`]: lays out grey or RGB images in rows and columns and writes a PNG atomically.
//! - [`chart`]: training curves and scatter plots of latent codes (plotters, bundled font).
//!
//! This crate knows nothing of training or run directories; `vae-cli` wires it to them.

pub mod chart;
mod error;
mod grid;
pub mod pictures;
pub mod projection;

pub use chart::{Panel, Scatter, Series, plot_curves, plot_curves_sized};
pub use error::{Result, VizError};
pub use grid::Grid;
