//! Datasets and burn batchers for the vae workspace.
//!
//! - [`idx`]: a validating reader for IDX files (raw or gzip), the format of MNIST and
//!   Fashion-MNIST.
//! - [`ImageDataset`]: images (and optional labels) held in memory, implementing burn's
//!   `Dataset`, with seeded train/validation splits.
//! - [`VaeBatcher`]: turns items into `[batch, dim]` float tensors in [0, 1], optionally
//!   binarised.
//! - [`ResidentLoader`]: training batches gathered on the device from a dataset uploaded once.
//!
//! - [`write_atomic`]: the crash-safe whole-file write every output of the workspace uses.
//!
//! This crate knows nothing about models.

mod atomic;
mod batch;
mod dataset;
mod error;
pub mod idx;
mod locate;
mod resident;

pub use atomic::{remove_stale_temp_files, write_atomic};
pub use batch::{Binarize, VaeBatch, VaeBatcher};
pub use dataset::{ImageDataset, ImageItem, Partition};
pub use error::{DataError, Result};
pub use locate::default_data_dir;
pub use resident::ResidentLoader;
