//! The `.vaez` file: a header saying what was coded with which model, the lanes' ANS words,
//! and checksums. Layout in `docs/format.md`; every integer is little-endian.

use crate::{Alphabet, CodecError, Coded, Lane, Result, Settings};

/// The first four bytes of every file.
pub const MAGIC: [u8; 4] = *b"VAEZ";
/// The version this build writes and reads.
pub const VERSION: u16 = 1;
/// Longest container header kept verbatim (an NPY header is at most a few hundred bytes).
const MAX_CONTAINER_HEADER: usize = 1 << 20;

/// The file the coded bytes came from, restored around them on decompression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Container {
    /// Bare bytes, no header.
    Raw,
    /// An IDX file of unsigned bytes.
    Idx,
    /// A NumPy `.npy` file of u8.
    Npy,
}

impl Container {
    fn code(self) -> u8 {
        match self {
            Self::Raw => 0,
            Self::Idx => 1,
            Self::Npy => 2,
        }
    }

    fn from_code(code: u8) -> Result<Self> {
        match code {
            0 => Ok(Self::Raw),
            1 => Ok(Self::Idx),
            2 => Ok(Self::Npy),
            c => Err(CodecError::Malformed(format!("unknown container code {c}"))),
        }
    }

    /// Its name, for messages.
    pub fn name(self) -> &'static str {
        match self {
            Self::Raw => "raw bytes",
            Self::Idx => "IDX",
            Self::Npy => "NPY",
        }
    }
}

/// Everything a `.vaez` file holds.
#[derive(Clone, Debug, PartialEq)]
pub struct CompressedFile {
    /// SHA-256 of the model's config and weights.
    pub fingerprint: [u8; 32],
    /// How bytes map onto the model's symbols.
    pub alphabet: Alphabet,
    /// The backend that computed the probabilities (decoding must reproduce them).
    pub backend: String,
    /// The original file's kind.
    pub container: Container,
    /// The original file's header, verbatim.
    pub container_header: Vec<u8>,
    /// CRC-32 of the original file (header and data).
    pub original_crc: u32,
    /// The coded data.
    pub coded: Coded,
}

/// CRC-32 (IEEE) of `bytes`.
pub fn crc32(bytes: &[u8]) -> u32 {
    crc32fast::hash(bytes)
}

/// Lower-case hex of a fingerprint's first 8 bytes, for messages.
pub fn short_hex(fingerprint: &[u8; 32]) -> String {
    fingerprint[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

impl CompressedFile {
    /// The original file: the container header followed by `data`.
    pub fn original(&self, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.container_header.len() + data.len());
        out.extend_from_slice(&self.container_header);
        out.extend_from_slice(data);
        out
    }

    /// Refuses decoding with a model other than the one that compressed.
    pub fn check_model(&self, fingerprint: &[u8; 32]) -> Result<()> {
        if &self.fingerprint != fingerprint {
            return Err(CodecError::WrongModel {
                expected: short_hex(&self.fingerprint),
                found: short_hex(fingerprint),
            });
        }
        Ok(())
    }

    /// Checks the restored original file against the stored CRC.
    pub fn verify(&self, original: &[u8], decoded_on: &str) -> Result<()> {
        let actual = crc32(original);
        if actual != self.original_crc {
            return Err(CodecError::NotReproduced {
                what: format!(
                    "CRC-32 {actual:08x} of the decoded data, {:08x} stored",
                    self.original_crc
                ),
                compressed_on: self.backend.clone(),
                decoded_on: decoded_on.to_string(),
            });
        }
        Ok(())
    }

    /// Serialises the file, checksum last.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        out.extend_from_slice(&MAGIC);
        out.extend_from_slice(&VERSION.to_le_bytes());
        out.extend_from_slice(&self.fingerprint);
        let (alphabet, one) = match self.alphabet {
            Alphabet::Binary { one } => (1u8, one),
            Alphabet::Bytes => (2, 0),
        };
        out.extend_from_slice(&[alphabet, one, self.coded.settings.latent_bits]);
        let backend = &self.backend.as_bytes()[..self.backend.len().min(255)];
        out.push(backend.len() as u8);
        out.extend_from_slice(backend);
        out.push(self.container.code());
        out.extend_from_slice(&(self.container_header.len() as u32).to_le_bytes());
        out.extend_from_slice(&self.container_header);
        out.extend_from_slice(&(self.coded.examples as u64).to_le_bytes());
        out.extend_from_slice(&(self.coded.dim as u32).to_le_bytes());
        out.extend_from_slice(&(self.coded.settings.lanes as u32).to_le_bytes());
        out.extend_from_slice(&self.coded.seed_words.to_le_bytes());
        out.extend_from_slice(&self.original_crc.to_le_bytes());
        for lane in &self.coded.lanes {
            out.extend_from_slice(&lane.seed_skipped.to_le_bytes());
            out.extend_from_slice(&(lane.words.len() as u64).to_le_bytes());
        }
        for lane in &self.coded.lanes {
            for w in &lane.words {
                out.extend_from_slice(&w.to_le_bytes());
            }
        }
        let crc = crc32(&out);
        out.extend_from_slice(&crc.to_le_bytes());
        out
    }

    /// Parses and checks a file: magic, version, bounds of every field, the checksum, and no
    /// trailing bytes.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self> {
        if bytes.len() < MAGIC.len() || bytes[..MAGIC.len()] != MAGIC {
            let n = bytes.len().min(MAGIC.len());
            if n < MAGIC.len() && bytes[..n] == MAGIC[..n] {
                return Err(CodecError::Truncated(format!(
                    "the file is {} bytes long",
                    bytes.len()
                )));
            }
            return Err(CodecError::NotOurs {
                found: bytes[..n].to_vec(),
            });
        }
        let mut r = Reader { bytes, at: 4 };
        let version = u16::from_le_bytes(r.array("version")?);
        if version != VERSION {
            return Err(CodecError::UnsupportedVersion {
                found: version,
                supported: VERSION,
            });
        }
        let file = r.parse()?;
        let body = r.at;
        let stored = u32::from_le_bytes(r.array("checksum")?);
        let actual = crc32(&bytes[..body]);
        if stored != actual {
            return Err(CodecError::Corrupt { stored, actual });
        }
        if r.at != bytes.len() {
            return Err(CodecError::Malformed(format!(
                "{} bytes after the checksum",
                bytes.len() - r.at
            )));
        }
        Ok(file)
    }
}

struct Reader<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize, what: &str) -> Result<&[u8]> {
        let left = self.bytes.len() - self.at;
        if n > left {
            return Err(CodecError::Truncated(format!(
                "the file ends after {} bytes, in its {what} (which needs {n} more, {left} left)",
                self.bytes.len(),
            )));
        }
        let out = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, what: &str) -> Result<[u8; N]> {
        let mut out = [0u8; N];
        out.copy_from_slice(self.take(N, what)?);
        Ok(out)
    }

    fn u8(&mut self, what: &str) -> Result<u8> {
        Ok(self.array::<1>(what)?[0])
    }

    fn u32(&mut self, what: &str) -> Result<u32> {
        Ok(u32::from_le_bytes(self.array(what)?))
    }

    fn u64(&mut self, what: &str) -> Result<u64> {
        Ok(u64::from_le_bytes(self.array(what)?))
    }

    fn parse(&mut self) -> Result<CompressedFile> {
        let malformed = |why: String| CodecError::Malformed(why);
        let fingerprint = self.array::<32>("model fingerprint")?;
        let alphabet = match (self.u8("alphabet")?, self.u8("alphabet")?) {
            (1, one @ (1 | 255)) => Alphabet::Binary { one },
            (2, 0) => Alphabet::Bytes,
            (a, one) => return Err(malformed(format!("unknown alphabet {a}/{one}"))),
        };
        let latent_bits = self.u8("coder settings")?;
        let backend_len = usize::from(self.u8("backend name")?);
        let backend = String::from_utf8(self.take(backend_len, "backend name")?.to_vec())
            .map_err(|_| malformed("the backend name is not UTF-8".into()))?;
        let container = Container::from_code(self.u8("container")?)?;
        let header_len = self.u32("container header")? as usize;
        if header_len > MAX_CONTAINER_HEADER {
            return Err(malformed(format!("a {header_len}-byte container header")));
        }
        let container_header = self.take(header_len, "container header")?.to_vec();
        let examples = self.u64("example count")?;
        let dim = self.u32("example size")?;
        let lanes = self.u32("lane count")?;
        let seed_words = self.u32("seed size")?;
        let original_crc = self.u32("data checksum")?;
        let examples = usize::try_from(examples)
            .ok()
            .filter(|&n| {
                n > 0
                    && n.checked_mul(dim as usize)
                        .is_some_and(|b| b < isize::MAX as usize)
            })
            .ok_or_else(|| malformed(format!("{examples} examples of {dim} bytes")))?;
        let settings = Settings {
            latent_bits,
            lanes: lanes as usize,
        };
        settings.validate().map_err(|e| malformed(e.to_string()))?;
        let lane_count = settings.lanes.min(examples);
        // Each lane's entry takes 12 bytes: refuse counts the file cannot hold before allocating.
        if lane_count.saturating_mul(12) > self.bytes.len() - self.at {
            return Err(CodecError::Truncated(format!(
                "the file ends after {} bytes, in its table of {lane_count} lanes",
                self.bytes.len()
            )));
        }
        let mut table = Vec::with_capacity(lane_count);
        for _ in 0..lane_count {
            table.push((self.u32("lane table")?, self.u64("lane table")?));
        }
        let mut lanes = Vec::with_capacity(lane_count);
        for (l, &(seed_skipped, n)) in table.iter().enumerate() {
            let n = usize::try_from(n)
                .ok()
                .and_then(|n| n.checked_mul(4))
                .ok_or_else(|| malformed(format!("lane {l} claims {n} words")))?;
            let words = self
                .take(n, &format!("lane {l}'s words"))?
                .chunks_exact(4)
                .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
                .collect();
            lanes.push(Lane {
                seed_skipped,
                words,
            });
        }
        Ok(CompressedFile {
            fingerprint,
            alphabet,
            backend,
            container,
            container_header,
            original_crc,
            coded: Coded {
                examples,
                dim: dim as usize,
                settings,
                seed_words,
                lanes,
                neg_elbo_nats: f64::NAN,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> CompressedFile {
        CompressedFile {
            fingerprint: [7; 32],
            alphabet: Alphabet::Binary { one: 255 },
            backend: "flex".into(),
            container: Container::Idx,
            container_header: vec![0, 0, 8, 1, 0, 0, 0, 3],
            original_crc: 0xdead_beef,
            coded: Coded {
                examples: 3,
                dim: 5,
                settings: Settings {
                    latent_bits: 12,
                    lanes: 2,
                },
                seed_words: 19,
                lanes: vec![
                    Lane {
                        seed_skipped: 10,
                        words: vec![1, 2, 3],
                    },
                    Lane {
                        seed_skipped: 0,
                        words: vec![u32::MAX],
                    },
                ],
                neg_elbo_nats: f64::NAN,
            },
        }
    }

    fn same(a: &CompressedFile, b: &CompressedFile) {
        // NaN ≠ NaN: compare all but the estimate, which files do not store.
        let mut b = b.clone();
        b.coded.neg_elbo_nats = a.coded.neg_elbo_nats;
        assert_eq!(format!("{a:?}"), format!("{b:?}"));
    }

    #[test]
    fn round_trips() {
        let file = sample();
        let bytes = file.to_bytes();
        same(
            &file,
            &CompressedFile::from_bytes(&bytes).expect("must succeed"),
        );
        let mut bytes = Alphabet::Bytes;
        let mut f = sample();
        std::mem::swap(&mut f.alphabet, &mut bytes);
        same(
            &f,
            &CompressedFile::from_bytes(&f.to_bytes()).expect("must succeed"),
        );
    }

    #[test]
    fn every_truncation_and_bit_flip_is_a_typed_error() {
        let bytes = sample().to_bytes();
        for n in 0..bytes.len() {
            let err = CompressedFile::from_bytes(&bytes[..n]).expect_err("must fail");
            assert!(
                matches!(
                    err,
                    CodecError::Truncated(_)
                        | CodecError::Corrupt { .. }
                        | CodecError::Malformed(_)
                ),
                "{n}: {err}"
            );
        }
        for i in 0..bytes.len() * 8 {
            let mut b = bytes.clone();
            b[i / 8] ^= 1 << (i % 8);
            assert!(
                CompressedFile::from_bytes(&b).is_err(),
                "bit {i} flipped went unnoticed"
            );
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(matches!(
            CompressedFile::from_bytes(&longer),
            Err(CodecError::Corrupt { .. } | CodecError::Malformed(_))
        ));
    }

    #[test]
    fn foreign_files_and_other_versions_are_named() {
        assert!(matches!(
            CompressedFile::from_bytes(b"\x1f\x8b\x08\x00 gzip"),
            Err(CodecError::NotOurs { .. })
        ));
        let mut bytes = sample().to_bytes();
        bytes[4] = 2;
        assert!(matches!(
            CompressedFile::from_bytes(&bytes),
            Err(CodecError::UnsupportedVersion { found: 2, .. })
        ));
        let file = sample();
        assert!(file.check_model(&[7; 32]).is_ok());
        let err = file
            .check_model(&[8; 32])
            .expect_err("must fail")
            .to_string();
        assert!(
            err.contains("0707070707070707") && err.contains("0808080808080808"),
            "{err}"
        );
    }
}
