use thiserror::Error;

/// Errors from describing or loading a model.
#[derive(Debug, Error)]
pub enum ModelError {
    /// A configuration value is out of range.
    #[error("invalid model config: {0}")]
    InvalidConfig(String),
    /// Stored weights do not fit the architecture the config describes.
    #[error("weights do not match the model config: {0}")]
    WeightsMismatch(String),
}

/// Result with [`ModelError`].
pub type Result<T> = std::result::Result<T, ModelError>;
