use std::path::{Path, PathBuf};
use std::sync::Arc;

use burn::data::dataset::{Dataset, DatasetError};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

use crate::{DataError, Result, idx};

/// Which half of an IDX dataset directory to read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Partition {
    /// `train-images-idx3-ubyte` / `train-labels-idx1-ubyte`.
    Train,
    /// `t10k-images-idx3-ubyte` / `t10k-labels-idx1-ubyte`.
    Test,
}

impl Partition {
    pub(crate) fn prefix(self) -> &'static str {
        match self {
            Self::Train => "train",
            Self::Test => "t10k",
        }
    }
}

/// One example as model inputs, before any binarisation.
#[derive(Clone, Debug, PartialEq)]
pub struct Example {
    /// Position in the underlying file (stable across splits; seeds per-example randomness).
    pub index: usize,
    /// Bytes scaled to [0, 1], or standardised real values.
    pub values: Vec<f32>,
    /// Class label, if the dataset has labels.
    pub label: Option<u8>,
}

/// Height, width and channels (1 grey, 3 RGB) of image data; values are stored row-major with
/// channels interleaved, as PNG and NumPy lay them out.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ImageShape {
    /// Pixel rows.
    pub rows: usize,
    /// Pixel columns.
    pub cols: usize,
    /// Values per pixel.
    #[serde(default = "one")]
    pub channels: usize,
}

fn one() -> usize {
    1
}

impl ImageShape {
    /// A greyscale shape.
    pub fn grey(rows: usize, cols: usize) -> Self {
        Self {
            rows,
            cols,
            channels: 1,
        }
    }

    /// Values per image.
    pub fn dim(&self) -> usize {
        self.rows * self.cols * self.channels
    }
}

impl std::fmt::Display for ImageShape {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}x{}", self.rows, self.cols)?;
        if self.channels != 1 {
            write!(f, "x{}", self.channels)?;
        }
        Ok(())
    }
}

/// Per-column affine map to zero mean and unit variance, fitted on training data and stored
/// with the model so that decoding can undo it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Standardization {
    /// Column means.
    pub mean: Vec<f32>,
    /// Column standard deviations (1 for constant columns).
    pub std: Vec<f32>,
}

impl Standardization {
    /// Fits the statistics of `data`'s raw values (in f64, so large tables sum exactly enough).
    pub fn fit(data: &Examples) -> Self {
        let dim = data.dim();
        let n = data.len().max(1) as f64;
        let mut sum = vec![0.0f64; dim];
        let mut sq = vec![0.0f64; dim];
        for i in 0..data.len() {
            for (j, v) in data.raw(i).into_iter().enumerate() {
                sum[j] += f64::from(v);
            }
        }
        let mean: Vec<f64> = sum.iter().map(|s| s / n).collect();
        for i in 0..data.len() {
            for (j, v) in data.raw(i).into_iter().enumerate() {
                sq[j] += (f64::from(v) - mean[j]).powi(2);
            }
        }
        let std = sq
            .iter()
            .map(|s| {
                let sd = (s / n).sqrt();
                if sd > 1e-12 && sd.is_finite() {
                    sd as f32
                } else {
                    1.0
                }
            })
            .collect();
        Self {
            mean: mean.iter().map(|&m| m as f32).collect(),
            std,
        }
    }

    /// Raw values to model inputs.
    pub fn apply(&self, values: &mut [f32]) {
        let dim = self.mean.len().max(1);
        for (k, v) in values.iter_mut().enumerate() {
            let j = k % dim;
            *v = (*v - self.mean[j]) / self.std[j];
        }
    }

    /// Model outputs back to raw values.
    pub fn undo(&self, values: &mut [f32]) {
        let dim = self.mean.len().max(1);
        for (k, v) in values.iter_mut().enumerate() {
            let j = k % dim;
            *v = *v * self.std[j] + self.mean[j];
        }
    }
}

/// How the examples' values are stored.
#[derive(Debug)]
enum Values {
    /// 0..=255 (images, u8 arrays); inputs are v / 255.
    Bytes(Vec<u8>),
    /// Real numbers (tables, float arrays); inputs are standardised when statistics are set.
    Reals(Vec<f32>),
}

#[derive(Debug)]
struct Storage {
    values: Values,
    dim: usize,
    labels: Option<Vec<u8>>,
    /// Names of the label values, when labels came from text (CSV).
    label_names: Option<Vec<String>>,
    image: Option<ImageShape>,
    /// The file or folder it was read from, for error messages.
    source: Option<PathBuf>,
}

/// Examples held in memory (images, table rows or array rows), or a subset of them: a split
/// shares the storage.
#[derive(Clone, Debug)]
pub struct Examples {
    storage: Arc<Storage>,
    indices: Arc<Vec<usize>>,
    standardization: Option<Arc<Standardization>>,
}

impl Examples {
    fn build(values: Values, dim: usize, labels: Option<Vec<u8>>) -> Self {
        let len = match &values {
            Values::Bytes(v) => v.len(),
            Values::Reals(v) => v.len(),
        };
        let n = len / dim.max(1);
        let storage = Storage {
            values,
            dim,
            labels,
            label_names: None,
            image: None,
            source: None,
        };
        Self {
            storage: Arc::new(storage),
            indices: Arc::new((0..n).collect()),
            standardization: None,
        }
    }

    /// `n` row-major greyscale images of `rows × cols` bytes and optional labels.
    pub fn from_pixels(pixels: Vec<u8>, rows: usize, cols: usize, labels: Option<Vec<u8>>) -> Self {
        Self::from_bytes(pixels, ImageShape::grey(rows, cols).dim(), labels)
            .with_image_shape(ImageShape::grey(rows, cols))
    }

    /// Rows of `dim` bytes (0..=255), each scaled to [0, 1] as model input.
    pub fn from_bytes(values: Vec<u8>, dim: usize, labels: Option<Vec<u8>>) -> Self {
        Self::build(Values::Bytes(values), dim, labels)
    }

    /// Rows of `dim` real values, standardised once [`Self::with_standardization`] is set.
    pub fn from_reals(values: Vec<f32>, dim: usize, labels: Option<Vec<u8>>) -> Self {
        Self::build(Values::Reals(values), dim, labels)
    }

    /// Edits the storage while building, before any clone shares it.
    fn edit(mut self, f: impl FnOnce(&mut Storage)) -> Self {
        if let Some(storage) = Arc::get_mut(&mut self.storage) {
            f(storage);
        }
        self
    }

    /// Marks the examples as images of `shape` (its size must be the example size).
    pub(crate) fn with_image_shape(self, shape: ImageShape) -> Self {
        self.edit(|s| s.image = Some(shape))
    }

    pub(crate) fn with_source(self, path: &Path) -> Self {
        self.edit(|s| s.source = Some(path.to_path_buf()))
    }

    pub(crate) fn with_label_names(self, names: Vec<String>) -> Self {
        self.edit(|s| s.label_names = Some(names))
    }

    /// Standardises real values with `stats` from now on (bytes are left as they are).
    pub fn with_standardization(mut self, stats: Standardization) -> Self {
        if self.is_real() {
            self.standardization = Some(Arc::new(stats));
        }
        self
    }

    /// Whether values are real numbers (tables, float arrays) rather than bytes.
    pub fn is_real(&self) -> bool {
        matches!(self.storage.values, Values::Reals(_))
    }

    /// The standardisation applied to inputs, if any.
    pub fn standardization(&self) -> Option<&Standardization> {
        self.standardization.as_deref()
    }

    /// Reads one partition of an IDX directory (MNIST, Fashion-MNIST, or any directory with the
    /// same file names). Labels are read when their file exists.
    pub fn load_idx(dir: &Path, partition: Partition) -> Result<Self> {
        if !dir.is_dir() {
            return Err(DataError::MissingDirectory {
                path: dir.to_path_buf(),
            });
        }
        let prefix = partition.prefix();
        let images_path = idx::find(dir, &format!("{prefix}-images-idx3-ubyte"))?;
        let labels_path = match idx::find(dir, &format!("{prefix}-labels-idx1-ubyte")) {
            Ok(path) => Some(path),
            Err(DataError::MissingFile { .. }) => None,
            Err(e) => return Err(e),
        };
        Self::load_idx_files(&images_path, labels_path.as_deref())
    }

    /// Reads an IDX images file (rank 3) and, when given, its labels file (rank 1).
    pub fn load_idx_files(images_path: &Path, labels_path: Option<&Path>) -> Result<Self> {
        let images = idx::read_u8(images_path, &[3])?;
        let (n, rows, cols) = (images.dims[0], images.dims[1], images.dims[2]);
        let labels = match labels_path {
            Some(labels_path) => {
                let labels = idx::read_u8(labels_path, &[1])?;
                if labels.dims[0] != n {
                    return Err(DataError::CountMismatch {
                        images: images_path.to_path_buf(),
                        labels: labels_path.to_path_buf(),
                        n_images: n,
                        n_labels: labels.dims[0],
                    });
                }
                Some(labels.data)
            }
            None => None,
        };
        Ok(Self::from_pixels(images.data, rows, cols, labels).with_source(images_path))
    }

    /// The file or folder the examples were read from (`None` when built in memory).
    pub fn source(&self) -> Option<&Path> {
        self.storage.source.as_deref()
    }

    /// "`path`" of the source, for messages.
    pub fn describe(&self) -> String {
        self.source()
            .map_or("the data".into(), |p| format!("`{}`", p.display()))
    }

    /// Writes these examples as raw IDX files of `partition` in `dir` (labels when present).
    /// Only greyscale byte images can be written as IDX.
    pub fn save_idx(&self, dir: &Path, partition: Partition) -> Result<()> {
        let prefix = partition.prefix();
        let shape = match (self.image_shape(), &self.storage.values) {
            (Some(shape), Values::Bytes(_)) if shape.channels == 1 => shape,
            _ => {
                return Err(DataError::Invalid(format!(
                    "{} cannot be written as IDX: only greyscale byte images can",
                    self.describe()
                )));
            }
        };
        let pixels: Vec<u8> = (0..self.len())
            .flat_map(|i| self.bytes(i).unwrap_or_default())
            .copied()
            .collect();
        let path = dir.join(format!("{prefix}-images-idx3-ubyte"));
        idx::write_u8(&path, &[self.len(), shape.rows, shape.cols], &pixels).map_err(|source| {
            DataError::Write {
                path: path.clone(),
                source,
            }
        })?;
        if self.storage.labels.is_some() {
            let labels: Vec<u8> = (0..self.len()).filter_map(|i| self.label(i)).collect();
            let path = dir.join(format!("{prefix}-labels-idx1-ubyte"));
            idx::write_u8(&path, &[labels.len()], &labels).map_err(|source| DataError::Write {
                path: path.clone(),
                source,
            })?;
        }
        Ok(())
    }

    /// Image height and width of one partition, read from the image file's header alone.
    pub fn probe_shape(dir: &Path, partition: Partition) -> Result<(usize, usize)> {
        if !dir.is_dir() {
            return Err(DataError::MissingDirectory {
                path: dir.to_path_buf(),
            });
        }
        let path = idx::find(dir, &format!("{}-images-idx3-ubyte", partition.prefix()))?;
        let dims = idx::read_dims(&path, &[3])?;
        Ok((dims[1], dims[2]))
    }

    /// The image shape, when the examples are images.
    pub fn image_shape(&self) -> Option<ImageShape> {
        self.storage.image
    }

    /// Number of examples.
    pub fn len(&self) -> usize {
        self.indices.len()
    }

    /// Whether there are no examples.
    pub fn is_empty(&self) -> bool {
        self.indices.is_empty()
    }

    /// Values per example.
    pub fn dim(&self) -> usize {
        self.storage.dim
    }

    /// Whether labels are present.
    pub fn has_labels(&self) -> bool {
        self.storage.labels.is_some()
    }

    /// Names of the label values (CSV text labels), indexed by label.
    pub fn label_names(&self) -> Option<&[String]> {
        self.storage.label_names.as_deref()
    }

    /// The first `n` examples (all of them if there are fewer).
    pub fn take(&self, n: usize) -> Self {
        let indices = self.indices[..n.min(self.indices.len())].to_vec();
        Self {
            storage: self.storage.clone(),
            indices: Arc::new(indices),
            standardization: self.standardization.clone(),
        }
    }

    /// Splits off `held_out` examples chosen by a seeded shuffle: returns `(rest, held_out)`.
    /// The same seed always gives the same split.
    pub fn split(&self, held_out: usize, seed: u64) -> Result<(Self, Self)> {
        let n = self.indices.len();
        if held_out >= n {
            return Err(DataError::BadSplit {
                requested: held_out,
                available: n,
            });
        }
        let mut shuffled = self.indices.as_ref().clone();
        shuffled.shuffle(&mut StdRng::seed_from_u64(seed));
        let valid = shuffled.split_off(n - held_out);
        // Keep each part in file order, so only membership depends on the seed.
        shuffled.sort_unstable();
        let mut valid = valid;
        valid.sort_unstable();
        let part = |indices| Self {
            storage: self.storage.clone(),
            indices: Arc::new(indices),
            standardization: self.standardization.clone(),
        };
        Ok((part(shuffled), part(valid)))
    }

    /// The bytes of the example at `position`, for byte data.
    pub fn bytes(&self, position: usize) -> Option<&[u8]> {
        let index = *self.indices.get(position)?;
        let dim = self.dim();
        match &self.storage.values {
            Values::Bytes(v) => v.get(index * dim..(index + 1) * dim),
            Values::Reals(_) => None,
        }
    }

    /// The example at `position` in its original units (bytes as 0..=255).
    pub fn raw(&self, position: usize) -> Vec<f32> {
        let Some(&index) = self.indices.get(position) else {
            return Vec::new();
        };
        let dim = self.dim();
        match &self.storage.values {
            Values::Bytes(v) => v[index * dim..(index + 1) * dim]
                .iter()
                .map(|&b| f32::from(b))
                .collect(),
            Values::Reals(v) => v[index * dim..(index + 1) * dim].to_vec(),
        }
    }

    /// The example at `position` as model input: bytes / 255, or standardised reals.
    pub fn inputs(&self, position: usize) -> Vec<f32> {
        let mut values = self.raw(position);
        match (&self.storage.values, &self.standardization) {
            (Values::Bytes(_), _) => values.iter_mut().for_each(|v| *v /= 255.0),
            (Values::Reals(_), Some(stats)) => stats.apply(&mut values),
            (Values::Reals(_), None) => {}
        }
        values
    }

    /// The label of the example at `position`.
    pub fn label(&self, position: usize) -> Option<u8> {
        let index = *self.indices.get(position)?;
        self.storage.labels.as_ref()?.get(index).copied()
    }

    fn item(&self, position: usize) -> Option<Example> {
        let index = *self.indices.get(position)?;
        Some(Example {
            index,
            values: self.inputs(position),
            label: self.label(position),
        })
    }
}

impl Dataset<Example> for Examples {
    fn get(&self, index: usize) -> std::result::Result<Example, DatasetError> {
        self.item(index).ok_or_else(|| {
            DatasetError::new(std::io::Error::other(format!(
                "index {index} out of range for {} examples",
                self.len()
            )))
        })
    }

    fn len(&self) -> usize {
        self.indices.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tiny(n: usize) -> Examples {
        let pixels = (0..n * 4).map(|v| v as u8).collect();
        Examples::from_pixels(pixels, 2, 2, Some((0..n as u8).collect()))
    }

    #[test]
    fn split_is_seeded_disjoint_and_complete() {
        let ds = tiny(50);
        let (a, b) = ds.split(10, 42).expect("split");
        let (a2, b2) = ds.split(10, 42).expect("split");
        let ids = |d: &Examples| {
            (0..d.len())
                .map(|i| d.get(i).map(|x| x.index))
                .collect::<std::result::Result<Vec<_>, _>>()
        };
        assert_eq!(ids(&b).expect("ok"), ids(&b2).expect("ok"));
        assert_eq!(ids(&a).expect("ok"), ids(&a2).expect("ok"));
        assert_eq!((a.len(), b.len()), (40, 10));
        let mut all: Vec<usize> = ids(&a)
            .expect("ok")
            .into_iter()
            .chain(ids(&b).expect("ok"))
            .collect();
        all.sort_unstable();
        assert_eq!(all, (0..50).collect::<Vec<_>>());
        let (_, other) = ds.split(10, 43).expect("split");
        assert_ne!(ids(&b).expect("ok"), ids(&other).expect("ok"));
        assert!(ds.split(50, 1).is_err());
    }

    #[test]
    fn items_carry_their_pixels_and_labels() {
        let ds = tiny(3);
        let item = ds.get(2).expect("in range");
        assert_eq!(
            item,
            Example {
                index: 2,
                values: [8.0f32, 9.0, 10.0, 11.0]
                    .iter()
                    .map(|v| v / 255.0)
                    .collect(),
                label: Some(2)
            }
        );
        assert!(ds.get(3).is_err());
    }
}
