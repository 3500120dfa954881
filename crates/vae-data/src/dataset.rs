use std::path::{Path, PathBuf};
use std::sync::Arc;

use burn::data::dataset::{Dataset, DatasetError};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

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
    fn prefix(self) -> &'static str {
        match self {
            Self::Train => "train",
            Self::Test => "t10k",
        }
    }
}

/// One example: its pixels as bytes and, when known, its label.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImageItem {
    /// Position in the underlying file (stable across splits; seeds per-example randomness).
    pub index: usize,
    /// Row-major pixel intensities 0..=255, `rows * cols` of them.
    pub pixels: Vec<u8>,
    /// Class label, if the dataset has labels.
    pub label: Option<u8>,
}

#[derive(Debug)]
struct Storage {
    pixels: Vec<u8>,
    labels: Option<Vec<u8>>,
    rows: usize,
    cols: usize,
    /// The images file it was read from, for error messages.
    source: Option<PathBuf>,
}

/// Greyscale images held in memory, or a subset of them (a split shares the storage).
#[derive(Clone, Debug)]
pub struct ImageDataset {
    storage: Arc<Storage>,
    indices: Arc<Vec<usize>>,
}

impl ImageDataset {
    /// Builds a dataset from `n` row-major images of `rows × cols` bytes and optional labels.
    pub fn from_pixels(pixels: Vec<u8>, rows: usize, cols: usize, labels: Option<Vec<u8>>) -> Self {
        let n = pixels.len() / (rows * cols).max(1);
        let storage = Storage {
            pixels,
            labels,
            rows,
            cols,
            source: None,
        };
        Self {
            storage: Arc::new(storage),
            indices: Arc::new((0..n).collect()),
        }
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
        let images = idx::read_u8(&images_path, &[3])?;
        let (n, rows, cols) = (images.dims[0], images.dims[1], images.dims[2]);
        let labels = match idx::find(dir, &format!("{prefix}-labels-idx1-ubyte")) {
            Ok(labels_path) => {
                let labels = idx::read_u8(&labels_path, &[1])?;
                if labels.dims[0] != n {
                    return Err(DataError::CountMismatch {
                        images: images_path,
                        labels: labels_path,
                        n_images: n,
                        n_labels: labels.dims[0],
                    });
                }
                Some(labels.data)
            }
            Err(DataError::MissingFile { .. }) => None,
            Err(e) => return Err(e),
        };
        let mut dataset = Self::from_pixels(images.data, rows, cols, labels);
        if let Some(storage) = Arc::get_mut(&mut dataset.storage) {
            storage.source = Some(images_path);
        }
        Ok(dataset)
    }

    /// The images file the dataset was read from (`None` when built in memory).
    pub fn source(&self) -> Option<&Path> {
        self.storage.source.as_deref()
    }

    /// Writes these examples as raw IDX files of `partition` in `dir` (labels when present).
    pub fn save_idx(&self, dir: &Path, partition: Partition) -> Result<()> {
        let prefix = partition.prefix();
        let (rows, cols) = self.image_shape();
        let dim = self.dim();
        let pixels: Vec<u8> = self
            .indices
            .iter()
            .flat_map(|&i| &self.storage.pixels[i * dim..(i + 1) * dim])
            .copied()
            .collect();
        let path = dir.join(format!("{prefix}-images-idx3-ubyte"));
        idx::write_u8(&path, &[self.len(), rows, cols], &pixels).map_err(|source| {
            DataError::Io {
                path: path.clone(),
                source,
            }
        })?;
        if let Some(all) = &self.storage.labels {
            let labels: Vec<u8> = self
                .indices
                .iter()
                .filter_map(|&i| all.get(i).copied())
                .collect();
            let path = dir.join(format!("{prefix}-labels-idx1-ubyte"));
            idx::write_u8(&path, &[labels.len()], &labels).map_err(|source| DataError::Io {
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

    /// Image height and width.
    pub fn image_shape(&self) -> (usize, usize) {
        (self.storage.rows, self.storage.cols)
    }

    /// Values per example (`rows * cols`).
    pub fn dim(&self) -> usize {
        self.storage.rows * self.storage.cols
    }

    /// Whether labels are present.
    pub fn has_labels(&self) -> bool {
        self.storage.labels.is_some()
    }

    /// The first `n` examples (all of them if there are fewer).
    pub fn take(&self, n: usize) -> Self {
        let indices = self.indices[..n.min(self.indices.len())].to_vec();
        Self {
            storage: self.storage.clone(),
            indices: Arc::new(indices),
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
        };
        Ok((part(shuffled), part(valid)))
    }

    /// The pixels of the example at `position`, borrowed from the shared storage.
    pub fn pixels(&self, position: usize) -> Option<&[u8]> {
        let index = *self.indices.get(position)?;
        let dim = self.dim();
        self.storage.pixels.get(index * dim..(index + 1) * dim)
    }

    fn item(&self, position: usize) -> Option<ImageItem> {
        let index = *self.indices.get(position)?;
        let pixels = self.pixels(position)?.to_vec();
        let label = self
            .storage
            .labels
            .as_ref()
            .and_then(|l| l.get(index).copied());
        Some(ImageItem {
            index,
            pixels,
            label,
        })
    }
}

impl Dataset<ImageItem> for ImageDataset {
    fn get(&self, index: usize) -> std::result::Result<ImageItem, DatasetError> {
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

    fn tiny(n: usize) -> ImageDataset {
        let pixels = (0..n * 4).map(|v| v as u8).collect();
        ImageDataset::from_pixels(pixels, 2, 2, Some((0..n as u8).collect()))
    }

    #[test]
    fn split_is_seeded_disjoint_and_complete() {
        let ds = tiny(50);
        let (a, b) = ds.split(10, 42).expect("split");
        let (a2, b2) = ds.split(10, 42).expect("split");
        let ids = |d: &ImageDataset| {
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
            ImageItem {
                index: 2,
                pixels: vec![8, 9, 10, 11],
                label: Some(2)
            }
        );
        assert!(ds.get(3).is_err());
    }
}
