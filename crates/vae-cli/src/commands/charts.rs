//! `vae latent-map` and `vae plot`: charts of a model's latent space and of a run's curves.

use anyhow::{Result, bail};
use vae_data::VaeBatcher;
use vae_train::{RunDir, TrainedModel, read_metrics};
use vae_viz::{Grid, Panel, Scatter, Series, pictures, plot_curves, projection};

use crate::args::{LatentMapArgs, PlotArgs};
use crate::device::device;

pub fn latent_map(args: LatentMapArgs) -> Result<()> {
    let device = device(&args.compute)?;
    let model = TrainedModel::load(&args.model, &device)?;
    let mut data = vae_train::test_data(&model.config, args.data.as_deref())?;
    if let Some(n) = args.n {
        if n == 0 {
            bail!("-n must be at least 1");
        }
        data = data.take(n);
    }
    let latent = model.vae.latent_dim();
    if latent < 2 {
        bail!("a latent map needs at least 2 latent dimensions; this model has {latent}");
    }
    let batcher = VaeBatcher::eval(model.config.data.binarize, model.config.seed);
    let codes = vae_train::encode(&model.vae, &data, &batcher, &device, 1000)?;
    let (points, explained) = projection::principal_components(&codes.mean, latent);
    let labels: Option<Vec<u8>> = (0..data.len()).map(|i| data.label(i)).collect();
    let (title, axes) = if latent == 2 {
        (
            format!("posterior means of {} examples", data.len()),
            ("z1".to_string(), "z2".to_string()),
        )
    } else {
        (
            format!(
                "posterior means of {} examples, first 2 of {latent} principal components",
                data.len()
            ),
            (
                format!("PC1 ({:.0}% of variance)", 100.0 * explained[0]),
                format!("PC2 ({:.0}% of variance)", 100.0 * explained[1]),
            ),
        )
    };
    Scatter {
        points: &points,
        labels: labels.as_deref(),
        class_names: data.label_names(),
        title: &title,
        axes: (&axes.0, &axes.1),
    }
    .write_png(args.size, &args.output)?;
    eprintln!(
        "wrote {} ({}x{} pixels, {} points{})",
        args.output.display(),
        args.size.0,
        args.size.1,
        points.len(),
        if labels.is_some() {
            ", coloured by label"
        } else {
            ""
        }
    );

    let shape = model
        .config
        .data
        .image_shape
        .filter(|s| s.dim() == model.vae.input_dim());
    if let (2, Some(s)) = (latent, shape) {
        let stem = args
            .output
            .file_stem()
            .map_or("latent-map".into(), |s| s.to_string_lossy().into_owned());
        let path = args.output.with_file_name(format!("{stem}-manifold.png"));
        let mut grid = Grid::with_channels(s.rows, s.cols, s.channels, args.steps)?;
        grid.push(&pictures::manifold(&model.vae, args.steps, &device)?)?;
        grid.write_png(&path)?;
        let (w, h) = grid.size();
        eprintln!(
            "wrote {} ({w}x{h} pixels, {steps}x{steps} decoded codes)",
            path.display(),
            steps = args.steps
        );
    }
    Ok(())
}

pub fn plot(args: PlotArgs) -> Result<()> {
    let run = RunDir::new(&args.run);
    let path = run.metrics();
    if !path.is_file() {
        bail!(
            "`{}` has no metrics.csv: is it a run directory written by `vae train`?",
            args.run.display()
        );
    }
    let rows = read_metrics(&path)?;
    if rows.is_empty() {
        bail!("`{}` holds no finished epoch yet", path.display());
    }
    let panel = |title: &str, column: &str| Panel {
        title: title.into(),
        series: ["train", "valid"]
            .iter()
            .map(|split| Series {
                label: if *split == "train" {
                    "training"
                } else {
                    "validation"
                }
                .into(),
                points: rows
                    .iter()
                    .filter(|r| r.split == *split)
                    .filter_map(|r| Some((r.epoch as f64, r.get(column)?)))
                    .collect(),
            })
            .collect(),
    };
    let panels = [
        panel("−ELBO (nats per example)", "neg_elbo"),
        panel("reconstruction −ln p(x|z) (nats)", "recon"),
        panel("KL(q(z|x) ‖ p(z)) (nats)", "kl"),
    ];
    let (w, h) = plot_curves(&panels, "epoch", &args.output)?;
    let epochs = rows.iter().map(|r| r.epoch).max().unwrap_or(0);
    eprintln!(
        "wrote {} ({w}x{h} pixels, {epochs} epochs from {})",
        args.output.display(),
        path.display()
    );
    Ok(())
}
