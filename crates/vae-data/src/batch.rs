use std::sync::atomic::{AtomicU64, Ordering};

use burn::data::dataloader::batcher::Batcher;
use burn::tensor::{Device, Tensor, TensorData};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde::{Deserialize, Serialize};

use crate::Example;

/// How byte intensities become model inputs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Binarize {
    /// Intensities v/255 in [0, 1] (the PyTorch example).
    #[default]
    None,
    /// 1 where v > 127, else 0 (the reference script's `--binarize`).
    Fixed,
    /// 1 with probability v/255, resampled every batch while training (Salakhutdinov & Murray,
    /// 2008); evaluation uses one draw per example, fixed by the seed.
    Dynamic,
}

/// A batch of flattened examples.
#[derive(Clone, Debug)]
pub struct VaeBatch {
    /// `[batch, dim]` values in [0, 1].
    pub x: Tensor<2>,
}

/// Builds [`VaeBatch`]es from [`Example`]s.
#[derive(Debug)]
pub struct VaeBatcher {
    binarize: Binarize,
    seed: u64,
    resample: bool,
    calls: AtomicU64,
}

impl VaeBatcher {
    /// For training: dynamic binarisation draws fresh bits for every batch.
    pub fn train(binarize: Binarize, seed: u64) -> Self {
        Self {
            binarize,
            seed,
            resample: true,
            calls: AtomicU64::new(0),
        }
    }

    /// For evaluation: dynamic binarisation draws bits once per example, so every evaluation of
    /// the same example sees the same bits.
    pub fn eval(binarize: Binarize, seed: u64) -> Self {
        Self {
            binarize,
            seed,
            resample: false,
            calls: AtomicU64::new(0),
        }
    }

    /// Converts items to a `[batch, dim]` float vector in row-major order. Binarisation
    /// applies to byte data, whose inputs lie in [0, 1].
    pub fn values(&self, items: &[Example]) -> Vec<f32> {
        let dim = items.first().map_or(0, |i| i.values.len());
        let mut out = Vec::with_capacity(items.len() * dim);
        match self.binarize {
            Binarize::None => {
                for item in items {
                    out.extend_from_slice(&item.values);
                }
            }
            Binarize::Fixed => {
                for item in items {
                    out.extend(item.values.iter().map(|&v| Binarize::fixed(v)));
                }
            }
            Binarize::Dynamic => {
                let call = self.calls.fetch_add(1, Ordering::Relaxed);
                let mut batch_rng = StdRng::seed_from_u64(mix(self.seed, call));
                for item in items {
                    let mut example_rng;
                    let rng: &mut StdRng = if self.resample {
                        &mut batch_rng
                    } else {
                        example_rng = StdRng::seed_from_u64(mix(self.seed, item.index as u64));
                        &mut example_rng
                    };
                    out.extend(
                        item.values
                            .iter()
                            .map(|&v| f32::from(u8::from(rng.random::<f32>() < v))),
                    );
                }
            }
        }
        out
    }
}

impl Binarize {
    /// Fixed binarisation of an input in [0, 1]: bytes above 127 become 1.
    pub fn fixed(v: f32) -> f32 {
        f32::from(u8::from(v > 0.5))
    }
}

/// A 64-bit mix (SplitMix64 finaliser) so nearby seeds give unrelated streams.
pub(crate) fn mix(seed: u64, n: u64) -> u64 {
    let mut z = seed ^ n.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

impl Batcher<Example, VaeBatch> for VaeBatcher {
    fn batch(&self, items: Vec<Example>, device: &Device) -> VaeBatch {
        let dim = items.first().map_or(0, |i| i.values.len());
        let data = TensorData::new(self.values(&items), [items.len(), dim]);
        VaeBatch {
            x: Tensor::from_data(data, device),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items() -> Vec<Example> {
        (0..64)
            .map(|i| Example {
                index: i,
                values: [0.0f32, 64.0, 128.0, 200.0, 255.0]
                    .iter()
                    .map(|v| v / 255.0)
                    .collect(),
                label: None,
            })
            .collect()
    }

    #[test]
    fn intensities_are_scaled_to_unit_interval() {
        let v = VaeBatcher::train(Binarize::None, 0).values(&items()[..1]);
        assert_eq!(
            v,
            vec![0.0, 64.0 / 255.0, 128.0 / 255.0, 200.0 / 255.0, 1.0]
        );
        let f = VaeBatcher::train(Binarize::Fixed, 0).values(&items()[..1]);
        assert_eq!(f, vec![0.0, 0.0, 1.0, 1.0, 1.0]);
    }

    #[test]
    fn dynamic_binarisation_follows_intensity_and_is_seeded() {
        let b = VaeBatcher::train(Binarize::Dynamic, 9);
        let first = b.values(&items());
        let second = b.values(&items());
        assert_ne!(first, second, "training batches must be resampled");
        assert!(first.iter().all(|&v| v == 0.0 || v == 1.0));
        // Column means approach v/255 (64 examples).
        let col = |c: usize| first.iter().skip(c).step_by(5).sum::<f32>() / 64.0;
        assert_eq!(col(0), 0.0);
        assert_eq!(col(4), 1.0);
        assert!((col(2) - 0.5).abs() < 0.2, "{}", col(2));

        let again = VaeBatcher::train(Binarize::Dynamic, 9).values(&items());
        assert_eq!(first, again, "same seed, same draws");

        let e = VaeBatcher::eval(Binarize::Dynamic, 9);
        assert_eq!(
            e.values(&items()),
            e.values(&items()),
            "evaluation bits are fixed"
        );
    }

    #[test]
    fn batches_have_the_right_shape() {
        let device = Device::flex();
        let batch = VaeBatcher::eval(Binarize::None, 0).batch(items(), &device);
        assert_eq!(batch.x.dims(), [64, 5]);
    }
}
