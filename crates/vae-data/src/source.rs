//! Where a dataset lives and in which format, told from the path alone.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::{DataError, Examples, Partition, Result, idx, image_folder, npy, table};

/// The dataset formats vae reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DataFormat {
    /// A directory of IDX files with `train-…` and `t10k-…` partitions (MNIST's layout).
    #[default]
    IdxDir,
    /// One IDX images file (`…-idx3-ubyte[.gz]`).
    IdxFile,
    /// A CSV table with a header row.
    Csv,
    /// A NumPy `.npy` array.
    Npy,
    /// A folder of PNG images (or of class subfolders of them).
    PngFolder,
}

impl std::fmt::Display for DataFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::IdxDir => "IDX directory",
            Self::IdxFile => "IDX file",
            Self::Csv => "CSV table",
            Self::Npy => "NumPy array",
            Self::PngFolder => "PNG folder",
        })
    }
}

/// A dataset path and its format.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataSource {
    /// The file or directory.
    pub path: PathBuf,
    /// Its format.
    pub format: DataFormat,
    /// For CSV: the label column (`None`: a column named like a label, if any).
    pub label_column: Option<String>,
}

impl DataSource {
    /// Tells the format from the path: a directory with IDX files or PNGs, or a file ending in
    /// `.csv`, `.npy`, or named like an IDX file.
    pub fn detect(path: &Path) -> Result<Self> {
        let source = |format| Self {
            path: path.to_path_buf(),
            format,
            label_column: None,
        };
        if path.is_dir() {
            let has_idx = [Partition::Train, Partition::Test]
                .iter()
                .any(|p| idx::find(path, &format!("{}-images-idx3-ubyte", p.prefix())).is_ok());
            return Ok(source(if has_idx {
                DataFormat::IdxDir
            } else {
                DataFormat::PngFolder
            }));
        }
        if !path.exists() {
            return Err(DataError::BadFile {
                path: path.to_path_buf(),
                why: "does not exist".into(),
            });
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let format = if name.ends_with(".csv") {
            DataFormat::Csv
        } else if name.ends_with(".npy") {
            DataFormat::Npy
        } else if name.contains("idx") {
            DataFormat::IdxFile
        } else {
            return Err(DataError::BadFile {
                path: path.to_path_buf(),
                why: "unknown data format: expected a directory of IDX files or PNGs, a .csv or .npy file, or an IDX file (`…-idx3-ubyte[.gz]`)".into(),
            });
        };
        Ok(source(format))
    }

    /// The same source with a CSV label column.
    pub fn with_label_column(mut self, column: Option<String>) -> Self {
        self.label_column = column;
        self
    }

    /// Every example, for formats that hold one set; for an IDX directory, its `partition`.
    pub fn load(&self, partition: Partition) -> Result<Examples> {
        match self.format {
            DataFormat::IdxDir => Examples::load_idx(&self.path, partition),
            DataFormat::IdxFile => Examples::load_idx_files(&self.path, None),
            DataFormat::Csv => table::read_csv(&self.path, self.label_column.as_deref()),
            DataFormat::Npy => npy::read_npy_dataset(&self.path),
            DataFormat::PngFolder => image_folder::read_png_folder(&self.path),
        }
    }

    /// Whether the source has its own test partition (an IDX directory's `t10k` files);
    /// others hold out a seeded test split.
    pub fn has_test_partition(&self) -> bool {
        self.format == DataFormat::IdxDir
    }

    /// Training and test examples: an IDX directory's two partitions, or for one-set formats
    /// a split holding out `test_size` examples chosen by a fixed seed (so every run of a
    /// dataset tests on the same examples).
    pub fn train_and_test(&self, test_size: usize) -> Result<(Examples, Option<Examples>)> {
        if self.has_test_partition() {
            return Ok((self.load(Partition::Train)?, None));
        }
        let all = self.load(Partition::Train)?;
        let (train, test) = all.split(test_size, TEST_SPLIT_SEED)?;
        Ok((train, Some(test)))
    }
}

/// Seeds the train/test split of one-set formats; fixed so test sets never depend on --seed.
pub const TEST_SPLIT_SEED: u64 = 0x7e57;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_told_from_paths() {
        let mnist = crate::default_data_dir();
        assert_eq!(
            DataSource::detect(&mnist).expect("dir").format,
            DataFormat::IdxDir
        );
        let file = mnist.join("t10k-images-idx3-ubyte.gz");
        assert_eq!(
            DataSource::detect(&file).expect("file").format,
            DataFormat::IdxFile
        );
        let dir = std::env::temp_dir().join(format!("vae-source-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        for (name, format) in [("a.CSV", DataFormat::Csv), ("b.npy", DataFormat::Npy)] {
            std::fs::write(dir.join(name), b"").expect("write");
            assert_eq!(
                DataSource::detect(&dir.join(name)).expect(name).format,
                format
            );
        }
        assert_eq!(
            DataSource::detect(&dir).expect("dir").format,
            DataFormat::PngFolder
        );
        std::fs::write(dir.join("c.txt"), b"").expect("write");
        let e = DataSource::detect(&dir.join("c.txt"))
            .expect_err("txt")
            .to_string();
        assert!(
            e.contains("c.txt") && e.contains("unknown data format"),
            "{e}"
        );
        assert!(DataSource::detect(&dir.join("missing.csv")).is_err());
    }
}
