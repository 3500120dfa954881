//! A file of unsigned bytes, IDX or NPY, kept so that it can be rewritten byte for byte: what
//! `vae compress` codes.

use std::path::Path;

use crate::{DataError, NpyArray, NpyValues, Result, idx};

/// The kind of a [`ByteFile`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteFormat {
    /// IDX (raw or gzip; the gzip layer is not kept).
    Idx,
    /// NumPy `.npy` holding u8.
    Npy,
}

/// The header and data of an IDX or NPY file of unsigned bytes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ByteFile {
    /// IDX or NPY.
    pub format: ByteFormat,
    /// The file's header bytes, verbatim.
    pub header: Vec<u8>,
    /// Dimensions, examples first.
    pub shape: Vec<usize>,
    /// The elements, row-major.
    pub data: Vec<u8>,
}

impl ByteFile {
    /// Reads an unsigned-byte IDX file (ranks 1 to 4, gzip or raw) or a u8 `.npy` file.
    pub fn read(path: &Path) -> Result<Self> {
        let mut magic = [0u8; 6];
        let head = std::fs::File::open(path)
            .and_then(|mut f| std::io::Read::read(&mut f, &mut magic))
            .map_err(|source| DataError::Io {
                path: path.to_path_buf(),
                source,
            })?;
        if head == 6 && &magic == b"\x93NUMPY" {
            return Self::read_npy(path);
        }
        let array = idx::read_u8(path, &[1, 2, 3, 4])?;
        let mut header = vec![0, 0, 0x08, array.dims.len() as u8];
        for &d in &array.dims {
            // read_u8 has checked each dimension came from a u32.
            header.extend((d as u32).to_be_bytes());
        }
        Ok(Self {
            format: ByteFormat::Idx,
            header,
            shape: array.dims,
            data: array.data,
        })
    }

    fn read_npy(path: &Path) -> Result<Self> {
        let array = NpyArray::read(path)?;
        let NpyValues::U8(data) = array.values else {
            return Err(DataError::BadFile {
                path: path.to_path_buf(),
                why: format!(
                    "holds {} values; only unsigned bytes (u8) can be compressed losslessly",
                    array.type_str()
                ),
            });
        };
        if array.shape.is_empty() {
            return Err(DataError::BadFile {
                path: path.to_path_buf(),
                why: "is a 0-d array; expected examples along the first axis".into(),
            });
        }
        let bytes = std::fs::read(path).map_err(|source| DataError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        // NpyArray::read checked that the data fill the file after the header.
        let header = bytes[..bytes.len() - data.len()].to_vec();
        Ok(Self {
            format: ByteFormat::Npy,
            header,
            shape: array.shape,
            data,
        })
    }

    /// Number of examples (the first dimension).
    pub fn examples(&self) -> usize {
        self.shape.first().copied().unwrap_or(0)
    }

    /// Bytes per example (the product of the other dimensions).
    pub fn example_len(&self) -> usize {
        self.shape.iter().skip(1).product()
    }

    /// The whole file: header then data.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = self.header.clone();
        out.extend_from_slice(&self.data);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("vae-byte-file-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("must succeed");
        dir.join(name)
    }

    #[test]
    fn idx_and_npy_files_rewrite_byte_for_byte() {
        let data: Vec<u8> = (0..24).collect();
        let p = temp("a.idx");
        idx::write_u8(&p, &[2, 3, 4], &data).expect("must succeed");
        let f = ByteFile::read(&p).expect("must succeed");
        assert_eq!(
            (f.format, f.examples(), f.example_len()),
            (ByteFormat::Idx, 2, 12)
        );
        assert_eq!(f.to_bytes(), std::fs::read(&p).expect("must succeed"));

        let p = temp("a.npy");
        NpyArray {
            shape: vec![3, 8],
            values: NpyValues::U8(data.clone()),
        }
        .write(&p)
        .expect("must succeed");
        let f = ByteFile::read(&p).expect("must succeed");
        assert_eq!(
            (f.format, f.examples(), f.example_len()),
            (ByteFormat::Npy, 3, 8)
        );
        assert_eq!(f.data, data);
        assert_eq!(f.to_bytes(), std::fs::read(&p).expect("must succeed"));

        let p = temp("f.npy");
        NpyArray {
            shape: vec![3],
            values: NpyValues::F32(vec![1.0; 3]),
        }
        .write(&p)
        .expect("must succeed");
        let err = ByteFile::read(&p).expect_err("must fail").to_string();
        assert!(err.contains("f.npy") && err.contains("u8"), "{err}");
    }
}
