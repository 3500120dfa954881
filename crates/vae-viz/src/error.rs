use std::path::PathBuf;

use thiserror::Error;

/// Errors from drawing or writing pictures.
#[derive(Debug, Error)]
pub enum VizError {
    /// The model's examples are not images of the given shape.
    #[error("cannot draw examples of {dim} values as {rows}x{cols} images: {why}")]
    NotImages {
        /// Values per example.
        dim: usize,
        /// Image rows.
        rows: usize,
        /// Image columns.
        cols: usize,
        /// Where the shape came from.
        why: String,
    },
    /// A request that cannot be drawn (no images, an index past the data, …).
    #[error("{0}")]
    Invalid(String),
    /// Encoding or writing the PNG failed.
    #[error("cannot write `{path}`: {why}", path = path.display())]
    Write {
        /// The output file.
        path: PathBuf,
        /// What failed.
        why: String,
    },
}

/// Result with [`VizError`].
pub type Result<T> = std::result::Result<T, VizError>;
