//! `vae sample`, `reconstruct`, `interpolate` and `traverse`: PNG grids from a trained model.

use std::path::{Path, PathBuf};

use anyhow::{Result, bail};
use burn::data::dataset::Dataset;
use burn::tensor::{Device, Tensor};
use vae_data::{Examples, ImageShape, VaeBatcher};
use vae_train::TrainedModel;
use vae_viz::{Grid, pictures};

use crate::args::{InterpolateArgs, PictureArgs, ReconstructArgs, SampleArgs, TraverseArgs};
use crate::device::device;

/// A loaded model whose examples are images.
struct Source {
    model: TrainedModel,
    device: Device,
    shape: ImageShape,
}

impl Source {
    fn open(args: &PictureArgs) -> Result<Self> {
        let device = device(&args.compute)?;
        let model = TrainedModel::load(&args.model, &device)?;
        let dim = model.vae.input_dim();
        let Some(shape) = model.config.data.image_shape.filter(|s| s.dim() == dim) else {
            bail!(
                "`{}` was trained on {} data ({} values per example), not images: there is nothing to draw",
                args.model.display(),
                model.config.data.format,
                dim
            );
        };
        Ok(Self {
            model,
            device,
            shape,
        })
    }

    fn grid(&self, per_row: usize) -> Result<Grid> {
        let s = self.shape;
        Ok(Grid::with_channels(s.rows, s.cols, s.channels, per_row)?)
    }

    fn dim(&self) -> usize {
        self.shape.dim()
    }

    /// The model's test set (or `data`'s), checked to fit the model.
    fn test_set(&self, data: Option<&PathBuf>) -> Result<Examples> {
        let test = vae_train::test_data(&self.model.config, data.map(PathBuf::as_path))?;
        if let Some(shape) = test.image_shape().filter(|s| *s != self.shape) {
            bail!(
                "{} holds {shape} images but the model draws {}",
                test.describe(),
                self.shape
            );
        }
        Ok(test)
    }

    /// Test examples `indices` as a `[n, dim]` tensor, preprocessed as in training.
    fn examples(&self, test: &Examples, indices: &[usize]) -> Result<(Tensor<2>, Vec<f32>)> {
        let items = indices
            .iter()
            .map(|&i| {
                test.get(i).map_err(|_| {
                    anyhow::anyhow!(
                        "test image {i} does not exist: {} holds {} test images",
                        test.describe(),
                        test.len()
                    )
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let config = &self.model.config;
        let values = VaeBatcher::eval(config.data.binarize, config.seed).values(&items);
        let x = Tensor::<2>::from_data(
            burn::tensor::TensorData::new(values.clone(), [items.len(), self.dim()]),
            &self.device,
        );
        Ok((x, values))
    }
}

/// Writes the PNG and says what was written.
fn finish(grid: &Grid, path: &Path) -> Result<()> {
    grid.write_png(path)?;
    let (w, h) = grid.size();
    eprintln!(
        "wrote {} ({w}x{h} pixels, {} images)",
        path.display(),
        grid.len()
    );
    Ok(())
}

pub fn sample(args: SampleArgs) -> Result<()> {
    if args.n == 0 {
        bail!("-n must be at least 1");
    }
    let source = Source::open(&args.common)?;
    let columns = args
        .columns
        .unwrap_or_else(|| (args.n as f64).sqrt().ceil() as usize);
    let mut grid = source.grid(columns)?;
    source.device.seed(args.seed);
    grid.push(&pictures::prior_samples(
        &source.model.vae,
        args.n,
        args.stochastic,
        &source.device,
    )?)?;
    finish(&grid, &args.common.output)
}

pub fn reconstruct(args: ReconstructArgs) -> Result<()> {
    let source = Source::open(&args.common)?;
    let test = source.test_set(args.data.as_ref())?;
    if args.n == 0 || args.columns == 0 {
        bail!("-n and --columns must be at least 1");
    }
    let n = args.n.min(test.len());
    let indices: Vec<usize> = (0..n).collect();
    let (x, originals) = source.examples(&test, &indices)?;
    let recon = pictures::reconstructions(&source.model.vae, x)?;
    let dim = source.dim();
    let mut grid = source.grid(args.columns)?;
    // Rows of originals, each followed by the row of their reconstructions.
    for start in (0..n).step_by(args.columns) {
        let end = (start + args.columns).min(n);
        grid.push(&originals[start * dim..end * dim])?;
        // Pad a short last row of originals so the reconstructions sit under them.
        grid.push(&vec![0.0; (args.columns - (end - start)) * dim])?;
        grid.push(&recon[start * dim..end * dim])?;
    }
    finish(&grid, &args.common.output)
}

pub fn interpolate(args: InterpolateArgs) -> Result<()> {
    let source = Source::open(&args.common)?;
    let test = source.test_set(args.data.as_ref())?;
    let (x, originals) = source.examples(&test, &[args.from, args.to])?;
    let dim = source.dim();
    let a = x.clone().slice([0..1, 0..dim]);
    let b = x.slice([1..2, 0..dim]);
    let line = pictures::interpolation(&source.model.vae, a, b, args.steps)?;
    let mut grid = source.grid(args.steps + 2)?;
    grid.push(&originals[..dim])?;
    grid.push(&line)?;
    grid.push(&originals[dim..])?;
    finish(&grid, &args.common.output)
}

pub fn traverse(args: TraverseArgs) -> Result<()> {
    let source = Source::open(&args.common)?;
    let test = source.test_set(args.data.as_ref())?;
    let (x, _) = source.examples(&test, &[args.index])?;
    let sweep = pictures::traversal(&source.model.vae, x, args.range, args.steps)?;
    let mut grid = source.grid(args.steps)?;
    grid.push(&sweep)?;
    finish(&grid, &args.common.output)
}
