//! Datasets and burn batchers for the vae workspace.
//!
//! - [`idx`]: a validating reader for IDX files (raw or gzip), the format of MNIST and
//!   Fashion-MNIST.
//! - [`DataSource`]: tells a dataset's format from its path and loads it: IDX directories
//!   and files (MNIST), CSV tables ([`table`]), NumPy arrays ([`npy`]) and PNG folders
//!   ([`image_folder`]). Malformed input is an error naming the file and the row, column or
//!   image.
//! - [`Examples`]: examples (bytes or reals, optional labels) held in memory, implementing
//!   burn's `Dataset`, with seeded splits and a [`Standardization`] for real-valued data.
//! - [`VaeBatcher`]: turns items into `[batch, dim]` float tensors, optionally binarised.
//! - [`ResidentLoader`]: training batches gathered on the device from a dataset uploaded once.
//!
//! - [`write_atomic`]: the crash-safe whole-file write every output of the workspace uses.
//!
//! This crate knows nothing about models.

mod atomic;
mod batch;
mod byte_file;
mod dataset;
mod error;
pub mod idx;
pub mod image_folder;
mod locate;
pub mod npy;
mod resident;
mod source;
pub mod table;

pub use atomic::{remove_stale_temp_files, write_atomic};
pub use batch::{Binarize, VaeBatch, VaeBatcher};
pub use byte_file::{ByteFile, ByteFormat};
pub use dataset::{Example, Examples, ImageShape, Partition, Standardization};
pub use error::{DataError, Result};
pub use locate::default_data_dir;
pub use npy::{NpyArray, NpyValues};
pub use resident::ResidentLoader;
pub use source::{DataFormat, DataSource, TEST_SPLIT_SEED};
