//! Training batches drawn from a dataset held on the device.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use burn::data::dataloader::{DataLoader, DataLoaderIterator, Progress};
use burn::data::dataset::DatasetError;
use burn::tensor::{Device, Distribution, Int, Tensor, TensorData};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use crate::batch::mix;
use crate::{Binarize, Examples, VaeBatch};

/// A burn [`DataLoader`] over a dataset uploaded to the device once, as PyTorch scripts keep
/// MNIST in one tensor: each epoch shuffles the example order on the host (one index upload)
/// and each batch is a gather on the device, with no per-example host work. Dynamic
/// binarisation draws its bits on the device.
///
/// Epoch `e` shuffles with a generator seeded by `(seed, e)` and reseeds the device's generator
/// from them too, so a run resumed at epoch `e` sees the same order and draws the same noise
/// as an uninterrupted one.
#[derive(Debug)]
pub struct ResidentLoader {
    /// `[n, dim]` model inputs (already 0/1 for fixed binarisation).
    x: Tensor<2>,
    dynamic: bool,
    batch_size: usize,
    seed: u64,
    /// The epoch the next `iter()` serves.
    next_epoch: Arc<AtomicU64>,
}

impl ResidentLoader {
    /// Uploads `data` to `device`; the first `iter()` serves epoch `first_epoch`.
    pub fn new(
        data: &Examples,
        binarize: Binarize,
        batch_size: usize,
        seed: u64,
        first_epoch: usize,
        device: &Device,
    ) -> Self {
        let mut values: Vec<f32> = (0..data.len()).flat_map(|i| data.inputs(i)).collect();
        if binarize == Binarize::Fixed {
            values.iter_mut().for_each(|v| *v = Binarize::fixed(*v));
        }
        let x = Tensor::from_data(TensorData::new(values, [data.len(), data.dim()]), device);
        Self {
            x,
            dynamic: binarize == Binarize::Dynamic,
            batch_size: batch_size.max(1),
            seed,
            next_epoch: Arc::new(AtomicU64::new(first_epoch as u64)),
        }
    }

    fn len(&self) -> usize {
        self.x.dims()[0]
    }

    /// The example order of `epoch`.
    fn order(&self, epoch: u64) -> Vec<i64> {
        let mut order: Vec<i64> = (0..self.len() as i64).collect();
        order.shuffle(&mut StdRng::seed_from_u64(mix(self.seed, epoch)));
        order
    }
}

impl DataLoader<VaeBatch> for ResidentLoader {
    fn iter<'a>(&'a self) -> Box<dyn DataLoaderIterator<VaeBatch> + 'a> {
        let epoch = self.next_epoch.fetch_add(1, Ordering::SeqCst);
        // The epoch's noise (binarisation, the model's samples) depends on (seed, epoch) only,
        // so a run resumed from a checkpoint repeats an uninterrupted run exactly.
        self.x.device().seed(mix(!self.seed, epoch));
        let order = self.order(epoch);
        let n = order.len();
        let order = Tensor::<1, Int>::from_data(TensorData::new(order, [n]), &self.x.device());
        Box::new(ResidentIter {
            loader: self,
            order,
            next: 0,
        })
    }

    fn num_items(&self) -> usize {
        self.len()
    }

    fn to_device(&self, device: &Device) -> Arc<dyn DataLoader<VaeBatch>> {
        Arc::new(Self {
            x: self.x.clone().to_device(device),
            dynamic: self.dynamic,
            batch_size: self.batch_size,
            seed: self.seed,
            next_epoch: self.next_epoch.clone(),
        })
    }

    fn slice(&self, start: usize, end: usize) -> Arc<dyn DataLoader<VaeBatch>> {
        let end = end.min(self.len());
        Arc::new(Self {
            x: self.x.clone().slice(start.min(end)..end),
            dynamic: self.dynamic,
            batch_size: self.batch_size,
            seed: self.seed,
            next_epoch: self.next_epoch.clone(),
        })
    }
}

struct ResidentIter<'a> {
    loader: &'a ResidentLoader,
    order: Tensor<1, Int>,
    next: usize,
}

impl Iterator for ResidentIter<'_> {
    type Item = Result<VaeBatch, DatasetError>;

    fn next(&mut self) -> Option<Self::Item> {
        let n = self.loader.len();
        if self.next >= n {
            return None;
        }
        let end = (self.next + self.loader.batch_size).min(n);
        let indices = self.order.clone().slice(self.next..end);
        self.next = end;
        let mut x = self.loader.x.clone().select(0, indices);
        if self.loader.dynamic {
            // 1 with probability x: a uniform draw below x.
            x = x.random_like(Distribution::Default).lower(x).float();
        }
        Some(Ok(VaeBatch { x }))
    }
}

impl DataLoaderIterator<VaeBatch> for ResidentIter<'_> {
    fn progress(&self) -> Progress {
        Progress {
            items_processed: self.next,
            items_total: self.loader.len(),
            unit: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dataset() -> Examples {
        // 10 examples of 3 pixels; example i is [i, 128, 255].
        let pixels = (0..10u8).flat_map(|i| [i, 128, 255]).collect();
        Examples::from_pixels(pixels, 1, 3, None)
    }

    fn epoch(loader: &ResidentLoader) -> Vec<Vec<f32>> {
        loader
            .iter()
            .map(|b| {
                b.expect("batch")
                    .x
                    .into_data()
                    .try_to_vec::<f32>()
                    .expect("f32")
            })
            .collect()
    }

    #[test]
    fn each_epoch_serves_every_example_once_in_a_seeded_order() {
        let device = Device::flex();
        let loader = ResidentLoader::new(&dataset(), Binarize::None, 4, 3, 1, &device);
        let first = epoch(&loader);
        assert_eq!(
            first.iter().map(|b| b.len() / 3).collect::<Vec<_>>(),
            [4, 4, 2]
        );
        let mut seen: Vec<u32> = first
            .concat()
            .chunks(3)
            .map(|e| {
                assert_eq!(e[1..], [128.0 / 255.0, 1.0]);
                (e[0] * 255.0).round() as u32
            })
            .collect();
        seen.sort();
        assert_eq!(seen, (0..10).collect::<Vec<_>>());
        let second = epoch(&loader);
        assert_ne!(first, second, "every epoch reshuffles");

        // A loader resumed at epoch 2 serves epoch 2's order.
        let resumed = ResidentLoader::new(&dataset(), Binarize::None, 4, 3, 2, &device);
        assert_eq!(epoch(&resumed), second);
        assert_eq!(loader.num_items(), 10);
        assert_eq!(loader.slice(2, 5).num_items(), 3);
    }

    #[test]
    fn binarisation_fixed_and_dynamic() {
        let device = Device::flex();
        let fixed = ResidentLoader::new(&dataset(), Binarize::Fixed, 10, 0, 1, &device);
        for e in epoch(&fixed).concat().chunks(3) {
            assert_eq!(e, [0.0, 1.0, 1.0]);
        }
        device.seed(5);
        let pixels = vec![64u8; 4000];
        let data = Examples::from_pixels(pixels, 1, 4, None);
        let dynamic = ResidentLoader::new(&data, Binarize::Dynamic, 1000, 0, 1, &device);
        let bits = epoch(&dynamic).concat();
        assert!(bits.iter().all(|&b| b == 0.0 || b == 1.0));
        let mean = bits.iter().sum::<f32>() / bits.len() as f32;
        assert!((mean - 64.0 / 255.0).abs() < 0.03, "mean {mean}");
    }
}
