//! Lossless compression with a trained VAE: bits-back coding with asymmetric numeral systems
//! (BB-ANS) on the [`constriction`] crate's ANS stack, and the `.vaez` file format.
//!
//! [`compress`] turns `examples × dim` bytes into per-lane ANS stacks whose length approaches
//! the model's −ELBO; [`decompress`] restores them byte for byte. [`format`](mod@format) wraps both in a
//! self-checking file.

mod bitsback;
mod error;
pub mod format;
mod latent;
mod pixel;

pub use bitsback::{
    Alphabet, Coded, Lane, Settings, compress, compress_with_progress, decompress,
    decompress_with_progress,
};
pub use error::{CodecError, Result};
