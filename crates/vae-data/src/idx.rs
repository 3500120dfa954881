//! The IDX file format (LeCun et al., used by MNIST), raw or gzip-compressed.
//!
//! ```text
//! offset  size        field
//! 0       2           0x00 0x00
//! 2       1           element type: 0x08 u8, 0x09 i8, 0x0B i16, 0x0C i32, 0x0D f32, 0x0E f64
//! 3       1           rank r
//! 4       4·r         dimensions, big-endian u32
//! 4+4r    Π dims·size elements, row-major
//! ```
//!
//! Only unsigned-byte files are read. Every header field is checked, and the body length is
//! checked against the file (or the decompressed stream) before it is trusted, so a forged
//! header cannot make the reader allocate more than the input actually holds.

use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use flate2::read::MultiGzDecoder;

use crate::{DataError, Result};

const TYPE_U8: u8 = 0x08;
const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];

/// An unsigned-byte IDX array.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IdxArray {
    /// Dimensions, outermost first.
    pub dims: Vec<usize>,
    /// Elements in row-major order; `data.len()` is the product of `dims`.
    pub data: Vec<u8>,
}

fn type_name(code: u8) -> &'static str {
    match code {
        0x08 => "unsigned byte",
        0x09 => "signed byte",
        0x0B => "i16",
        0x0C => "i32",
        0x0D => "f32",
        0x0E => "f64",
        _ => "unknown",
    }
}

/// Reads an unsigned-byte IDX file whose rank is one of `ranks`.
pub fn read_u8(path: &Path, ranks: &[usize]) -> Result<IdxArray> {
    let (mut reader, known_len) = open(path)?;
    let dims = read_header(path, &mut reader, ranks)?;
    let header_len = 4 + 4 * dims.len() as u64;
    let body_len: u64 = dims.iter().product();
    let needed = header_len + body_len;
    let path_buf = || path.to_path_buf();
    if let Some(len) = known_len {
        // Compare with the real size before allocating anything the header asks for.
        if len < needed {
            return Err(DataError::Truncated {
                path: path_buf(),
                needed,
                available: len,
            });
        }
        if len > needed {
            return Err(DataError::TrailingBytes {
                path: path_buf(),
                expected: needed,
            });
        }
    }
    // For a gzip stream the size is unknown: read at most one byte past the body, growing the
    // buffer only as real bytes arrive.
    let mut data = Vec::new();
    reader
        .take(body_len + 1)
        .read_to_end(&mut data)
        .map_err(|source| DataError::Io {
            path: path_buf(),
            source,
        })?;
    let have = data.len() as u64;
    if have < body_len {
        return Err(DataError::Truncated {
            path: path_buf(),
            needed,
            available: header_len + have,
        });
    }
    if have > body_len {
        return Err(DataError::TrailingBytes {
            path: path_buf(),
            expected: needed,
        });
    }
    Ok(IdxArray {
        dims: dims.into_iter().map(|d| d as usize).collect(),
        data,
    })
}

/// Reads only the header of an unsigned-byte IDX file: its dimensions.
pub fn read_dims(path: &Path, ranks: &[usize]) -> Result<Vec<usize>> {
    let (mut reader, _) = open(path)?;
    Ok(read_header(path, &mut reader, ranks)?
        .into_iter()
        .map(|d| d as usize)
        .collect())
}

/// Opens `path` as a byte stream, decompressing gzip (detected by its magic bytes); returns the
/// stream and, for raw files, the total length.
fn open(path: &Path) -> Result<(Box<dyn Read>, Option<u64>)> {
    let io = |source| DataError::Io {
        path: path.to_path_buf(),
        source,
    };
    let mut file = File::open(path).map_err(io)?;
    let file_len = file.metadata().map_err(io)?.len();
    let mut magic = [0u8; 2];
    let got = read_up_to(&mut file, &mut magic).map_err(io)?;
    drop(file);
    let file = BufReader::new(File::open(path).map_err(io)?);
    Ok(if got == 2 && magic == GZIP_MAGIC {
        (Box::new(MultiGzDecoder::new(file)), None)
    } else {
        (Box::new(file), Some(file_len))
    })
}

/// Parses and checks the header; returns the dimensions, each non-zero, with a product that
/// fits in a u64.
fn read_header(path: &Path, reader: &mut impl Read, ranks: &[usize]) -> Result<Vec<u64>> {
    let path_buf = || path.to_path_buf();
    let io = |source| DataError::Io {
        path: path_buf(),
        source,
    };

    let mut head = [0u8; 4];
    let got = read_up_to(reader, &mut head).map_err(io)?;
    if got < 4 {
        return Err(DataError::Truncated {
            path: path_buf(),
            needed: 4,
            available: got as u64,
        });
    }
    if head[0] != 0 || head[1] != 0 {
        return Err(DataError::BadMagic {
            path: path_buf(),
            found: [head[0], head[1]],
        });
    }
    if head[2] != TYPE_U8 {
        return Err(DataError::UnsupportedType {
            path: path_buf(),
            code: head[2],
            name: type_name(head[2]),
        });
    }
    let rank = head[3] as usize;
    if !ranks.contains(&rank) {
        let expected = ranks
            .iter()
            .map(|r| r.to_string())
            .collect::<Vec<_>>()
            .join(" or ");
        return Err(DataError::BadRank {
            path: path_buf(),
            expected,
            found: rank,
        });
    }
    let header_len = 4 + 4 * rank as u64;
    let mut dim_bytes = vec![0u8; 4 * rank];
    let got = read_up_to(reader, &mut dim_bytes).map_err(io)?;
    if got < dim_bytes.len() {
        return Err(DataError::Truncated {
            path: path_buf(),
            needed: header_len,
            available: 4 + got as u64,
        });
    }
    let dims: Vec<u64> = dim_bytes
        .chunks_exact(4)
        .map(|c| u32::from_be_bytes([c[0], c[1], c[2], c[3]]) as u64)
        .collect();
    if dims.contains(&0) {
        return Err(DataError::BadDims {
            path: path_buf(),
            dims,
            why: "a dimension is zero",
        });
    }
    if dims
        .iter()
        .try_fold(1u64, |acc, &d| acc.checked_mul(d))
        .is_none()
    {
        return Err(DataError::BadDims {
            path: path_buf(),
            dims,
            why: "element count overflows",
        });
    }
    Ok(dims)
}

/// Reads until `buf` is full or the stream ends; returns the bytes read.
fn read_up_to(reader: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

/// Writes an unsigned-byte IDX file (raw, atomically). `data.len()` must be the product of `dims`.
pub fn write_u8(path: &Path, dims: &[usize], data: &[u8]) -> std::io::Result<()> {
    let invalid = |m: &str| std::io::Error::new(std::io::ErrorKind::InvalidInput, m.to_string());
    if dims.iter().product::<usize>() != data.len() {
        return Err(invalid("IDX data length does not match its dimensions"));
    }
    let rank = u8::try_from(dims.len()).map_err(|_| invalid("IDX rank above 255"))?;
    let mut bytes = vec![0, 0, TYPE_U8, rank];
    for &d in dims {
        let d = u32::try_from(d).map_err(|_| invalid("IDX dimension above u32::MAX"))?;
        bytes.extend(d.to_be_bytes());
    }
    bytes.extend_from_slice(data);
    crate::write_atomic(path, &bytes)
}

/// Finds `stem` or `stem.gz` in `dir`, also accepting the `name.idxN-ubyte` spelling.
pub fn find(dir: &Path, stem: &str) -> Result<PathBuf> {
    let alt = stem.replacen("-idx", ".idx", 1);
    for name in [
        format!("{stem}.gz"),
        stem.to_string(),
        format!("{alt}.gz"),
        alt.clone(),
    ] {
        let p = dir.join(name);
        if p.is_file() {
            return Ok(p);
        }
    }
    Err(DataError::MissingFile {
        dir: dir.to_path_buf(),
        stem: stem.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn header(code: u8, dims: &[u32]) -> Vec<u8> {
        let mut v = vec![0, 0, code, dims.len() as u8];
        for d in dims {
            v.extend(d.to_be_bytes());
        }
        v
    }

    fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
        let p = dir.join(name);
        std::fs::write(&p, bytes).expect("write fixture");
        p
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(bytes).expect("compress");
        e.finish().expect("compress")
    }

    fn tmp() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "vae-idx-{}-{:?}",
            std::process::id(),
            std::thread::current().id()
        ));
        std::fs::create_dir_all(&d).expect("temp dir");
        d
    }

    #[test]
    fn write_then_read_round_trips() {
        let dir = tmp();
        let p = dir.join("w");
        let data: Vec<u8> = (0..24).collect();
        write_u8(&p, &[2, 3, 4], &data).expect("write");
        assert_eq!(
            read_u8(&p, &[3]).expect("read"),
            IdxArray {
                dims: vec![2, 3, 4],
                data
            }
        );
        assert!(write_u8(&p, &[2, 2], &[0; 3]).is_err());
    }

    #[test]
    fn reads_raw_and_gzip_identically() {
        let dir = tmp();
        let mut bytes = header(0x08, &[2, 2, 3]);
        bytes.extend(0..12u8);
        let raw = read_u8(&write(&dir, "a", &bytes), &[3]).expect("raw");
        let gz = read_u8(&write(&dir, "a.gz", &gzip(&bytes)), &[3]).expect("gz");
        assert_eq!(raw, gz);
        assert_eq!(raw.dims, vec![2, 2, 3]);
        assert_eq!(raw.data, (0..12).collect::<Vec<u8>>());
    }

    #[test]
    fn rejects_malformed_files_with_typed_errors() {
        let dir = tmp();
        let mut good = header(0x08, &[3, 2]);
        good.extend([1u8; 6]);
        let mut bad_magic = good.clone();
        bad_magic[1] = 7;
        let mut f32_type = good.clone();
        f32_type[2] = 0x0D;
        let mut trailing = good.clone();
        trailing.push(0);
        let truncated = &good[..good.len() - 1];
        let mut zero_dim = header(0x08, &[0, 2]);
        zero_dim.extend([0u8; 0]);
        // A 12-byte header claiming 4 G elements must fail on size, not allocate.
        let huge = header(0x08, &[u32::MAX, 1]);

        type Check = fn(&DataError) -> bool;
        let cases: Vec<(&str, Vec<u8>, Check)> = vec![
            ("magic", bad_magic, |e| {
                matches!(e, DataError::BadMagic { .. })
            }),
            ("type", f32_type, |e| {
                matches!(e, DataError::UnsupportedType { code: 0x0D, .. })
            }),
            ("trailing", trailing, |e| {
                matches!(e, DataError::TrailingBytes { .. })
            }),
            ("truncated", truncated.to_vec(), |e| {
                matches!(e, DataError::Truncated { .. })
            }),
            ("zero", zero_dim, |e| matches!(e, DataError::BadDims { .. })),
            ("huge", huge, |e| matches!(e, DataError::Truncated { .. })),
            ("short header", vec![0, 0], |e| {
                matches!(e, DataError::Truncated { .. })
            }),
            ("empty", vec![], |e| {
                matches!(e, DataError::Truncated { .. })
            }),
        ];
        for (name, bytes, check) in cases {
            for (suffix, content) in [("raw", bytes.clone()), ("gz", gzip(&bytes))] {
                let p = write(&dir, &format!("{name}.{suffix}"), &content);
                let err = read_u8(&p, &[2]).expect_err(name);
                assert!(check(&err), "{name} ({suffix}): unexpected error {err}");
                assert!(
                    err.to_string().contains(&p.display().to_string()),
                    "{err} names no file"
                );
            }
        }
        let p = write(&dir, "rank", &good);
        assert!(matches!(
            read_u8(&p, &[3]),
            Err(DataError::BadRank { found: 2, .. })
        ));
    }

    #[test]
    fn corrupt_gzip_is_an_io_error_naming_the_file() {
        let dir = tmp();
        let mut bytes = header(0x08, &[100, 10]);
        bytes.extend(vec![9u8; 1000]);
        let mut gz = gzip(&bytes);
        let n = gz.len();
        gz.truncate(n / 2);
        let p = write(&dir, "cut.gz", &gz);
        let err = read_u8(&p, &[2]).expect_err("cut stream");
        assert!(
            matches!(err, DataError::Io { .. } | DataError::Truncated { .. }),
            "{err}"
        );
    }
}
