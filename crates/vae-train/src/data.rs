//! A run's data: describing a dataset for a new run, and loading its splits the same way in
//! every later command.

use std::path::Path;

use vae_data::{Binarize, DataFormat, DataSource, Examples, Partition, Standardization};

use crate::{DataConfig, Result, TrainError, TrainingConfig};

/// Validation examples held out of an IDX directory's training partition by default.
const DEFAULT_VALID_IDX: usize = 1000;

impl DataConfig {
    /// Describes the dataset at `path` for a new run: its format, image shape, split sizes
    /// (by default a tenth of the examples each for test and validation when the format has no
    /// test partition) and, for real-valued data, the standardisation fitted on the training
    /// examples alone. Also returns the values per example.
    pub fn describe(
        path: &Path,
        label_column: Option<String>,
        binarize: Binarize,
        valid_size: Option<usize>,
        test_size: Option<usize>,
        seed: u64,
    ) -> Result<(Self, usize)> {
        let source = DataSource::detect(path)?.with_label_column(label_column.clone());
        if label_column.is_some() && source.format != DataFormat::Csv {
            return Err(TrainError::InvalidOption(format!(
                "--label-column applies to CSV tables, and `{}` is a {}",
                path.display(),
                source.format
            )));
        }
        if source.has_test_partition() {
            if test_size.is_some() {
                return Err(TrainError::InvalidOption(format!(
                    "--test-size applies to one-set formats; `{}` has its own t10k test files",
                    path.display()
                )));
            }
            // Only the header is read: training loads the images once, after the options
            // are checked.
            let (rows, cols) = Examples::probe_shape(path, Partition::Train)?;
            let shape = vae_data::ImageShape::grey(rows, cols);
            let config = Self {
                path: path.to_path_buf(),
                format: source.format,
                label_column,
                image_shape: Some(shape),
                binarize,
                valid_size: valid_size.unwrap_or(DEFAULT_VALID_IDX),
                test_size: 0,
                standardization: None,
            };
            return Ok((config, shape.dim()));
        }
        let all = source.load(Partition::Train)?;
        let test_size = test_size.unwrap_or((all.len() / 10).max(1));
        let (train, _) = all.split(test_size, vae_data::TEST_SPLIT_SEED)?;
        let valid_size = valid_size.unwrap_or((train.len() / 10).max(1));
        // Bytes need no statistics; their split is checked when training starts, after the
        // other options.
        let standardization = if train.is_real() {
            let (rest, _) = train.split(valid_size, seed)?;
            Some(Standardization::fit(&rest))
        } else {
            None
        };
        let config = Self {
            path: path.to_path_buf(),
            format: source.format,
            label_column,
            image_shape: train.image_shape(),
            binarize,
            valid_size,
            test_size,
            standardization,
        };
        Ok((config, train.dim()))
    }
}

/// Checks `data` has the model's size and kind of values.
pub(crate) fn check_fits(config: &TrainingConfig, data: &Examples) -> Result<()> {
    if data.dim() != config.model.input_dim {
        return Err(TrainError::DimMismatch {
            file: data.describe(),
            data: data.dim(),
            model: config.model.input_dim,
        });
    }
    if data.is_real() != config.data.standardization.is_some() {
        let (has, wants) = if data.is_real() {
            ("real numbers", "bytes (images)")
        } else {
            ("bytes (images)", "real numbers")
        };
        return Err(TrainError::InvalidOption(format!(
            "{} holds {has} but the model was trained on {wants}",
            data.describe()
        )));
    }
    Ok(())
}

fn prepared(config: &TrainingConfig, data: Examples) -> Result<Examples> {
    check_fits(config, &data)?;
    Ok(match &config.data.standardization {
        Some(stats) => data.with_standardization(stats.clone()),
        None => data,
    })
}

/// The run's training and validation examples, standardised as the model sees them.
pub fn training_data(config: &TrainingConfig) -> Result<(Examples, Examples)> {
    let (train, _) = config.data.source().train_and_test(config.data.test_size)?;
    let (train, valid) = train.split(config.data.valid_size, config.seed)?;
    Ok((prepared(config, train)?, prepared(config, valid)?))
}

/// The examples a command evaluates: with `data`, that path (an IDX directory's test
/// partition, or every example of any other format); without, the run's own test set.
pub fn test_data(config: &TrainingConfig, data: Option<&Path>) -> Result<Examples> {
    let examples = match data {
        Some(path) => {
            let mut source = DataSource::detect(path)?;
            if source.format == DataFormat::Csv {
                source.label_column = config.data.label_column.clone();
            }
            source.load(Partition::Test)?
        }
        None => {
            let source = config.data.source();
            if !source.path.exists() {
                return Err(TrainError::InvalidOption(format!(
                    "the model was trained on `{}`, which no longer exists; pass --data",
                    source.path.display()
                )));
            }
            if source.has_test_partition() {
                source.load(Partition::Test)?
            } else {
                let (_, test) = source.train_and_test(config.data.test_size)?;
                test.ok_or_else(|| TrainError::InvalidOption("no test split".into()))?
            }
        }
    };
    prepared(config, examples)
}
