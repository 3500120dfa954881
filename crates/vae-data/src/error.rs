use std::path::PathBuf;

use thiserror::Error;

/// Errors from finding, reading or validating data.
#[derive(Debug, Error)]
pub enum DataError {
    /// The file could not be opened or read.
    #[error("cannot read `{path}`: {source}", path = path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The file could not be written.
    #[error("cannot write `{path}`: {source}", path = path.display())]
    Write {
        /// The file.
        path: PathBuf,
        /// What the OS said.
        source: std::io::Error,
    },
    /// The data directory does not exist or is not a directory.
    #[error("data directory `{path}` does not exist or is not a directory", path = path.display())]
    MissingDirectory {
        /// The directory.
        path: PathBuf,
    },
    /// A required file is missing from the data directory.
    #[error("no `{stem}` (raw or .gz) in `{dir}`", dir = dir.display())]
    MissingFile {
        /// The directory searched.
        dir: PathBuf,
        /// The file name without `.gz`.
        stem: String,
    },
    /// The first two bytes of an IDX file are not zero.
    #[error("`{path}` is not an IDX file: magic bytes are {found:02x?}, expected [00, 00]", path = path.display())]
    BadMagic {
        /// The file.
        path: PathBuf,
        /// The first two bytes.
        found: [u8; 2],
    },
    /// The IDX element type is not unsigned bytes.
    #[error("`{path}` has IDX type code 0x{code:02x} ({name}); only unsigned bytes (0x08) are supported", path = path.display())]
    UnsupportedType {
        /// The file.
        path: PathBuf,
        /// The type code byte.
        code: u8,
        /// Its meaning in the IDX spec.
        name: &'static str,
    },
    /// The IDX rank is not the one expected.
    #[error("`{path}` has rank {found}, expected {expected}", path = path.display())]
    BadRank {
        /// The file.
        path: PathBuf,
        /// Rank required.
        expected: String,
        /// Rank in the header.
        found: usize,
    },
    /// A dimension is zero or the element count overflows.
    #[error("`{path}` has unusable dimensions {dims:?}: {why}", path = path.display())]
    BadDims {
        /// The file.
        path: PathBuf,
        /// Dimensions from the header.
        dims: Vec<u64>,
        /// What is wrong with them.
        why: &'static str,
    },
    /// The file ends before the header or body does.
    #[error("`{path}` is truncated: needs {needed} bytes, has {available}", path = path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Bytes the header promises (header included).
        needed: u64,
        /// Bytes present.
        available: u64,
    },
    /// The file holds more bytes than its header describes.
    #[error("`{path}` has trailing bytes after the {expected} its header describes", path = path.display())]
    TrailingBytes {
        /// The file.
        path: PathBuf,
        /// Bytes the header describes (header included).
        expected: u64,
    },
    /// Image and label files disagree on the number of examples.
    #[error("`{images}` holds {n_images} images but `{labels}` holds {n_labels} labels", images = images.display(), labels = labels.display())]
    CountMismatch {
        /// The image file.
        images: PathBuf,
        /// The label file.
        labels: PathBuf,
        /// Number of images.
        n_images: usize,
        /// Number of labels.
        n_labels: usize,
    },
    /// A split asks for more examples than there are.
    #[error("cannot hold out {requested} of {available} examples for validation")]
    BadSplit {
        /// Examples requested for the held-out part.
        requested: usize,
        /// Examples available.
        available: usize,
    },
    /// A table cell that is not a finite number.
    #[error("`{path}` line {line}, column `{column}`: {why}", path = path.display())]
    BadCell {
        /// The file.
        path: PathBuf,
        /// 1-based line in the file.
        line: u64,
        /// Column name from the header.
        column: String,
        /// What is wrong with the cell.
        why: String,
    },
    /// A file that cannot be used, with the reason.
    #[error("`{path}`: {why}", path = path.display())]
    BadFile {
        /// The file or folder.
        path: PathBuf,
        /// What is wrong with it.
        why: String,
    },
    /// A request the data cannot satisfy.
    #[error("{0}")]
    Invalid(String),
}

/// Result with [`DataError`].
pub type Result<T> = std::result::Result<T, DataError>;
