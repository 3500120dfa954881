//! NumPy `.npy` arrays: datasets (2-D rows, or u8 images) and latent-code files.

use std::path::Path;

use half::f16;
use npyz::WriterBuilder;

use crate::{DataError, Examples, ImageShape, Result, write_atomic};

/// The element types this crate reads and writes.
#[derive(Clone, Debug, PartialEq)]
pub enum NpyValues {
    /// `|u1`.
    U8(Vec<u8>),
    /// `<f2`.
    F16(Vec<f16>),
    /// `<f4`.
    F32(Vec<f32>),
    /// `<f8`.
    F64(Vec<f64>),
}

/// An n-dimensional array in C order.
#[derive(Clone, Debug, PartialEq)]
pub struct NpyArray {
    /// Dimensions, outermost first.
    pub shape: Vec<usize>,
    /// The elements.
    pub values: NpyValues,
}

impl NpyArray {
    /// The elements as f32 (u8 as 0..=255).
    pub fn to_f32(&self) -> Vec<f32> {
        match &self.values {
            NpyValues::U8(v) => v.iter().map(|&x| f32::from(x)).collect(),
            NpyValues::F16(v) => v.iter().map(|x| x.to_f32()).collect(),
            NpyValues::F32(v) => v.clone(),
            NpyValues::F64(v) => v.iter().map(|&x| x as f32).collect(),
        }
    }

    /// The NumPy type string.
    pub fn type_str(&self) -> &'static str {
        match self.values {
            NpyValues::U8(_) => "|u1",
            NpyValues::F16(_) => "<f2",
            NpyValues::F32(_) => "<f4",
            NpyValues::F64(_) => "<f8",
        }
    }

    /// The file's bytes.
    pub fn to_bytes(&self) -> std::io::Result<Vec<u8>> {
        let shape: Vec<u64> = self.shape.iter().map(|&d| d as u64).collect();
        let mut out = Vec::new();
        fn put<T: npyz::AutoSerialize + Copy>(
            out: &mut Vec<u8>,
            shape: &[u64],
            v: &[T],
        ) -> std::io::Result<()> {
            let mut w = npyz::WriteOptions::new()
                .default_dtype()
                .shape(shape)
                .writer(out)
                .begin_nd()?;
            w.extend(v.iter().copied())?;
            w.finish()
        }
        match &self.values {
            NpyValues::U8(v) => put(&mut out, &shape, v)?,
            NpyValues::F16(v) => put(&mut out, &shape, v)?,
            NpyValues::F32(v) => put(&mut out, &shape, v)?,
            NpyValues::F64(v) => put(&mut out, &shape, v)?,
        }
        Ok(out)
    }

    /// Writes the array atomically.
    pub fn write(&self, path: &Path) -> Result<()> {
        let io = |source| DataError::Write {
            path: path.to_path_buf(),
            source,
        };
        write_atomic(path, &self.to_bytes().map_err(io)?).map_err(io)
    }

    /// Reads an array of one of the [`NpyValues`] types, checking its header against the file
    /// size before allocating.
    pub fn read(path: &Path) -> Result<Self> {
        let bad = |why: String| DataError::BadFile {
            path: path.to_path_buf(),
            why,
        };
        let bytes = std::fs::read(path).map_err(|source| DataError::Io {
            path: path.to_path_buf(),
            source,
        })?;
        screen_header(&bytes).map_err(bad)?;
        let file = npyz::NpyFile::new(&bytes[..])
            .map_err(|e| bad(format!("not a NumPy .npy file ({e})")))?;
        if file.order() != npyz::Order::C {
            return Err(bad(
                "Fortran-order arrays are not supported; save with C order".into(),
            ));
        }
        let type_str = match file.dtype() {
            npyz::DType::Plain(t) => t.to_string(),
            other => return Err(bad(format!("structured dtype {other:?} is not supported"))),
        };
        let item = match type_str.as_str() {
            "|u1" | "<u1" => 1,
            "<f2" => 2,
            "<f4" => 4,
            "<f8" => 8,
            t => {
                return Err(bad(format!(
                    "element type `{t}` is not supported (u8, f16, f32 or f64, little-endian)"
                )));
            }
        };
        let shape: Vec<usize> = file.shape().iter().map(|&d| d as usize).collect();
        let count = shape
            .iter()
            .try_fold(1usize, |acc, &d| acc.checked_mul(d))
            .filter(|c| c.checked_mul(item).is_some_and(|b| b <= bytes.len()))
            .ok_or_else(|| {
                bad(format!(
                    "its header promises shape {shape:?}, more than its {} bytes hold",
                    bytes.len()
                ))
            })?;
        let read_err = |e: std::io::Error| bad(format!("cannot read the data ({e})"));
        let values = match item {
            1 => NpyValues::U8(file.into_vec().map_err(read_err)?),
            2 => NpyValues::F16(file.into_vec().map_err(read_err)?),
            4 => NpyValues::F32(file.into_vec().map_err(read_err)?),
            _ => NpyValues::F64(file.into_vec().map_err(read_err)?),
        };
        let len = match &values {
            NpyValues::U8(v) => v.len(),
            NpyValues::F16(v) => v.len(),
            NpyValues::F32(v) => v.len(),
            NpyValues::F64(v) => v.len(),
        };
        if len != count {
            return Err(bad(format!(
                "holds {len} values, its shape {shape:?} needs {count}"
            )));
        }
        Ok(Self { shape, values })
    }
}

/// Refuses headers nested deeper than a plain array's (`{'shape': (…)}`) before npyz parses
/// them: its header parser takes exponential time on deeply nested brackets (a fuzz finding,
/// `fuzz/artifacts/npy_array/`), and nesting only serves structured dtypes, which are not
/// supported anyway.
fn screen_header(bytes: &[u8]) -> std::result::Result<(), String> {
    if bytes.len() < 10 || !bytes.starts_with(b"\x93NUMPY") {
        return Ok(()); // npyz reports what is wrong
    }
    let (start, len) = match bytes[6] {
        1 => (10, usize::from(u16::from_le_bytes([bytes[8], bytes[9]]))),
        _ if bytes.len() >= 12 => (
            12,
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
        ),
        _ => return Ok(()),
    };
    let header = &bytes[start.min(bytes.len())..start.saturating_add(len).min(bytes.len())];
    let mut depth = 0usize;
    for b in header {
        match b {
            b'(' | b'[' | b'{' => {
                depth += 1;
                if depth > 2 {
                    return Err(
                        "its header nests brackets deeper than a plain array's; structured arrays are not supported"
                            .into(),
                    );
                }
            }
            b')' | b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    // npyz multiplies the dimensions unchecked (a panic in debug builds): check them first.
    let text = String::from_utf8_lossy(header);
    if let Some(dims) = text
        .split_once("'shape'")
        .and_then(|(_, rest)| rest.split_once('('))
        .and_then(|(_, rest)| rest.split_once(')'))
        .map(|(dims, _)| dims)
    {
        let product = dims
            .split(',')
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .try_fold(1u64, |acc, d| {
                d.parse::<u64>().ok().and_then(|d| acc.checked_mul(d))
            });
        if product.is_none() {
            return Err(format!(
                "its shape ({dims}) is not a list of sizes whose product fits 64 bits"
            ));
        }
    }
    Ok(())
}

/// Reads a dataset from `.npy`: rows of a 2-D array (u8, f32 or f64), or u8 images shaped
/// `[n, rows, cols]` or `[n, rows, cols, channels]`.
pub fn read_npy_dataset(path: &Path) -> Result<Examples> {
    let array = NpyArray::read(path)?;
    let bad = |why: String| DataError::BadFile {
        path: path.to_path_buf(),
        why,
    };
    let shape = array.shape.clone();
    if shape.is_empty() || shape.contains(&0) {
        return Err(bad(format!("shape {shape:?} holds no examples")));
    }
    let dim: usize = shape[1..].iter().product();
    let examples = match (array.values, shape.len()) {
        (NpyValues::U8(v), 2) => Examples::from_bytes(v, dim, None),
        (NpyValues::U8(v), 3) => Examples::from_bytes(v, dim, None)
            .with_image_shape(ImageShape::grey(shape[1], shape[2])),
        (NpyValues::U8(v), 4) if matches!(shape[3], 1 | 3) => Examples::from_bytes(v, dim, None)
            .with_image_shape(ImageShape {
                rows: shape[1],
                cols: shape[2],
                channels: shape[3],
            }),
        (values @ (NpyValues::F32(_) | NpyValues::F64(_) | NpyValues::F16(_)), 2) => {
            let floats = NpyArray {
                shape: shape.clone(),
                values,
            }
            .to_f32();
            if let Some(k) = floats.iter().position(|v| !v.is_finite()) {
                return Err(bad(format!(
                    "row {}, column {} is {} (NaN and infinities are refused)",
                    k / dim,
                    k % dim,
                    floats[k]
                )));
            }
            Examples::from_reals(floats, dim, None)
        }
        (_, rank) => {
            return Err(bad(format!(
                "a {rank}-D {} array is not a dataset: expected 2-D rows (u8, f32, f64) or u8 images [n, rows, cols(, channels)]",
                shape
                    .iter()
                    .map(|d| d.to_string())
                    .collect::<Vec<_>>()
                    .join("x")
            )));
        }
    };
    Ok(examples.with_source(path))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("vae-npy-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        dir.join(name)
    }

    #[test]
    fn every_type_round_trips() {
        let arrays = [
            NpyValues::U8(vec![0, 7, 255, 3, 4, 5]),
            NpyValues::F16(
                [0.5f32, -1.0, 2.0, 1e-3, 7.0, 8.0]
                    .map(f16::from_f32)
                    .to_vec(),
            ),
            NpyValues::F32(vec![0.5, -1.0, 2.25, f32::MAX, 1e-30, 0.0]),
            NpyValues::F64(vec![0.5, -1.0, 2.25, 1e300, 1e-300, 0.0]),
        ];
        for values in arrays {
            let a = NpyArray {
                shape: vec![2, 3],
                values,
            };
            let path = temp(&format!("rt{}.npy", &a.type_str()[1..]));
            a.write(&path).expect("write");
            assert_eq!(NpyArray::read(&path).expect("read"), a);
        }
    }

    #[test]
    fn datasets_from_rows_and_images_and_clear_errors() {
        let path = temp("rows.npy");
        NpyArray {
            shape: vec![2, 2],
            values: NpyValues::F64(vec![1.0, 2.0, 3.0, 4.0]),
        }
        .write(&path)
        .expect("write");
        let d = read_npy_dataset(&path).expect("rows");
        assert!(d.is_real());
        assert_eq!((d.len(), d.dim(), d.raw(1)), (2, 2, vec![3.0, 4.0]));

        NpyArray {
            shape: vec![1, 2, 2, 3],
            values: NpyValues::U8((0..12).collect()),
        }
        .write(&path)
        .expect("write");
        let d = read_npy_dataset(&path).expect("images");
        assert_eq!(d.image_shape().map(|s| s.dim()), Some(12));

        NpyArray {
            shape: vec![2, 1],
            values: NpyValues::F32(vec![1.0, f32::NAN]),
        }
        .write(&path)
        .expect("write");
        let e = read_npy_dataset(&path).expect_err("NaN").to_string();
        assert!(
            e.contains("rows.npy") && e.contains("row 1, column 0 is NaN"),
            "{e}"
        );

        let bytes = std::fs::read(&path).expect("read");
        std::fs::write(&path, &bytes[..bytes.len() - 2]).expect("truncate");
        let e = read_npy_dataset(&path).expect_err("truncated").to_string();
        assert!(e.contains("rows.npy"), "{e}");
        // Deep nesting in the header is refused before npyz parses it (it would take minutes).
        let mut nested = b"\x93NUMPY\x01\x00\x76\x00{'descr': '<f2', 'shape':".to_vec();
        nested.extend([b'['; 40]);
        nested.extend(b" (2, 2), }");
        nested.resize(128, b' ');
        std::fs::write(&path, &nested).expect("nested");
        let e = read_npy_dataset(&path).expect_err("nested").to_string();
        assert!(e.contains("nests brackets"), "{e}");
        // So is a shape whose element count overflows (npyz would multiply it unchecked).
        let mut huge =
            b"\x93NUMPY\x01\x00\x76\x00{'descr': '<f8', 'shape': (18446744073709551615, 2), }"
                .to_vec();
        huge.resize(128, b' ');
        std::fs::write(&path, &huge).expect("huge");
        let e = read_npy_dataset(&path).expect_err("overflow").to_string();
        assert!(e.contains("product fits 64 bits"), "{e}");
        std::fs::write(&path, b"hello").expect("garbage");
        let e = read_npy_dataset(&path).expect_err("garbage").to_string();
        assert!(e.contains("not a NumPy .npy file"), "{e}");
    }
}
