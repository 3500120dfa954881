use thiserror::Error;

/// Errors from coding data or reading a compressed file.
#[derive(Debug, Error)]
pub enum CodecError {
    /// The model's likelihood cannot code discrete data losslessly.
    #[error(
        "the model's `{likelihood}` likelihood cannot code bytes losslessly: train with \
         --likelihood bernoulli on binary data or --likelihood discretized-logistic"
    )]
    UnsupportedLikelihood {
        /// The likelihood's name.
        likelihood: &'static str,
    },
    /// The data do not fit the model or the alphabet.
    #[error("{0}")]
    BadData(String),
    /// Coder settings out of range (from the command line or a file).
    #[error("invalid coder settings: {0}")]
    BadSettings(String),
    /// The model's network returned something unusable.
    #[error("model evaluation failed: {0}")]
    Model(String),
    /// The file does not start with this format's magic bytes.
    #[error("not a vae compressed file (magic bytes {found:02x?}, expected \"VAEZ\")")]
    NotOurs {
        /// The first bytes found.
        found: Vec<u8>,
    },
    /// The file was written by a newer format version.
    #[error("format version {found} is not supported (this build reads version {supported})")]
    UnsupportedVersion {
        /// The version in the file.
        found: u16,
        /// The version this build writes.
        supported: u16,
    },
    /// The file ends before its contents do.
    #[error("truncated: {0}")]
    Truncated(String),
    /// The file's checksum does not match its contents.
    #[error("corrupt: the file's checksum is {stored:08x} but its contents hash to {actual:08x}")]
    Corrupt {
        /// CRC-32 stored at the end of the file.
        stored: u32,
        /// CRC-32 of the bytes before it.
        actual: u32,
    },
    /// A header field holds an impossible value.
    #[error("malformed header: {0}")]
    Malformed(String),
    /// The file was compressed with a different model.
    #[error(
        "compressed with another model (fingerprint {expected}), not this one ({found}): \
         decompress with the model used to compress"
    )]
    WrongModel {
        /// Fingerprint stored in the file.
        expected: String,
        /// Fingerprint of the model given.
        found: String,
    },
    /// Decoding did not reproduce the original data.
    #[error(
        "decoding did not reproduce the original data ({what}); the file was compressed on \
         `{compressed_on}` and is being decoded on `{decoded_on}`: this backend or machine does \
         not compute bit-identical probabilities"
    )]
    NotReproduced {
        /// Which check failed.
        what: String,
        /// Backend recorded in the file.
        compressed_on: String,
        /// Backend decoding now.
        decoded_on: String,
    },
}

/// Result alias for this crate.
pub type Result<T> = std::result::Result<T, CodecError>;
