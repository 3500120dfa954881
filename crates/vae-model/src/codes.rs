//! Storing latent codes compactly: the precisions `vae encode` writes and `vae rd` measures.

use serde::{Deserialize, Serialize};
use statrs::distribution::{ContinuousCDF, Normal};

/// How each latent coordinate is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Precision {
    /// 32-bit float: the code as computed.
    F32,
    /// IEEE half precision.
    F16,
    /// One byte: the index of the bin holding the value among 256 bins of equal mass under
    /// the N(0, 1) prior, read back as the bin's median. Needs no side information, and spends
    /// the levels where the prior puts the codes.
    U8,
}

impl Precision {
    /// Every precision, widest first.
    pub const ALL: [Self; 3] = [Self::F32, Self::F16, Self::U8];

    /// Bytes per stored coordinate.
    pub fn bytes(self) -> usize {
        match self {
            Self::F32 => 4,
            Self::F16 => 2,
            Self::U8 => 1,
        }
    }

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::F32 => "f32",
            Self::F16 => "f16",
            Self::U8 => "u8",
        }
    }

    /// `v` as this precision would store and read it back.
    pub fn round_trip(self, v: f32) -> f32 {
        match self {
            Self::F32 => v,
            Self::F16 => half::f16::from_f32(v).to_f32(),
            Self::U8 => dequantize_u8(quantize_u8(v)),
        }
    }
}

const LEVELS: f64 = 256.0;

fn prior() -> Normal {
    // Mean 0 and standard deviation 1 are always valid parameters.
    Normal::standard()
}

/// Edge `i` (0..=2^bits) of 2^bits bins of equal N(0, 1) mass: Φ⁻¹(i / 2^bits), so −∞ and +∞
/// at the ends. `vae encode --precision u8` uses 8 bits; `vae compress` codes latents on them.
pub fn equal_mass_edge(i: usize, bits: u8) -> f64 {
    prior().inverse_cdf(i as f64 / (1u64 << bits) as f64)
}

/// The prior median of bin `k` among 2^bits equal-mass bins: Φ⁻¹((k + ½) / 2^bits).
pub fn equal_mass_median(k: usize, bits: u8) -> f64 {
    prior().inverse_cdf((k as f64 + 0.5) / (1u64 << bits) as f64)
}

/// The equal-prior-mass bin (0..=255) holding `v`; NaN maps to the middle bin.
pub fn quantize_u8(v: f32) -> u8 {
    if v.is_nan() {
        return 128;
    }
    let p = prior().cdf(f64::from(v));
    (p * LEVELS).floor().clamp(0.0, LEVELS - 1.0) as u8
}

/// The median of bin `k` under the prior: Φ⁻¹((k + ½) / 256).
pub fn dequantize_u8(k: u8) -> f32 {
    equal_mass_median(usize::from(k), 8) as f32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u8_bins_have_equal_prior_mass_and_round_trip_their_medians() {
        // Φ(0) = ½ is the edge between bins 127 and 128.
        assert_eq!(quantize_u8(-1e-6), 127);
        assert_eq!(quantize_u8(0.0), 128);
        assert_eq!(quantize_u8(-40.0), 0);
        assert_eq!(quantize_u8(40.0), 255);
        assert_eq!(quantize_u8(f32::INFINITY), 255);
        // Φ(1.959964) = 0.975: 0.975 * 256 = 249.6.
        assert_eq!(quantize_u8(1.96), 249);
        for k in 0..=255u8 {
            assert_eq!(quantize_u8(dequantize_u8(k)), k, "bin {k}");
            // Each median lies between its bin's edges.
            let (lo, hi) = (
                equal_mass_edge(k.into(), 8),
                equal_mass_edge(usize::from(k) + 1, 8),
            );
            assert!(
                lo < f64::from(dequantize_u8(k)) && f64::from(dequantize_u8(k)) < hi,
                "bin {k}"
            );
        }
        assert_eq!(equal_mass_edge(0, 12), f64::NEG_INFINITY);
        assert_eq!(equal_mass_edge(4096, 12), f64::INFINITY);
        assert_eq!(equal_mass_edge(2048, 12), 0.0);
        // Medians are symmetric about 0 and spaced densely near it.
        assert!((dequantize_u8(0) + dequantize_u8(255)).abs() < 1e-5);
        assert!((dequantize_u8(128) - dequantize_u8(127) - 0.0098).abs() < 1e-3);
        // Within the central bins the round-trip error is below half a bin.
        for v in [-1.5f32, -0.3, 0.0, 0.7, 2.0] {
            assert!((Precision::U8.round_trip(v) - v).abs() < 0.04, "{v}");
        }
    }

    #[test]
    fn f16_and_f32_round_trips() {
        assert_eq!(Precision::F32.round_trip(0.1234567), 0.1234567);
        let v = Precision::F16.round_trip(0.1234567);
        assert!((v - 0.1234567).abs() < 1e-4 && v != 0.1234567);
        assert_eq!(Precision::ALL.map(Precision::bytes), [4, 2, 1]);
    }
}
