use anyhow::Result;
use burn::module::Module;
use burn::tensor::Device;
use serde_json::json;
use vae_train::{RunDir, TrainedModel, last_checkpoint, read_metrics};

use crate::args::InfoArgs;

pub fn run(args: InfoArgs) -> Result<()> {
    // Inspection needs no particular backend: flex is always built.
    let model = TrainedModel::load(&args.model, &Device::flex())?;
    let run = RunDir::new(&args.model);
    let c = &model.config;
    let rows = read_metrics(&run.metrics()).unwrap_or_default();
    let last_valid = rows.iter().rev().find(|r| r.split == "valid");
    let params = model.vae.num_params();

    if args.json {
        let value = json!({
            "config": c,
            "parameters": params,
            "epochs_logged": rows.iter().map(|r| r.epoch).max(),
            "last_checkpoint": last_checkpoint(&run),
            "valid": last_valid.map(|r| &r.values),
        });
        println!("{value}");
        return Ok(());
    }
    let m = &c.model;
    let mut layers = vec![m.input_dim.to_string()];
    layers.extend(m.hidden.iter().map(|h| h.to_string()));
    layers.push(m.latent_dim.to_string());
    println!("model        {}", args.model.display());
    println!(
        "architecture {} ({:?}), decoder mirrored",
        layers.join("-"),
        m.activation
    );
    println!("likelihood   {}", m.likelihood);
    println!("beta         {}", m.beta);
    println!("parameters   {params}");
    let d = &c.data;
    let kind = match (&d.image_shape, &d.standardization) {
        (Some(shape), _) => format!("{shape} images, binarize {:?}", d.binarize),
        (None, Some(_)) => format!("{} real values per example, standardised", m.input_dim),
        (None, None) => format!("{} bytes per example", m.input_dim),
    };
    let test = if d.test_size > 0 {
        format!(", {} for testing", d.test_size)
    } else {
        String::new()
    };
    println!(
        "data         {} ({}: {kind}; {} held out for validation{test})",
        d.path.display(),
        d.format,
        d.valid_size
    );
    println!(
        "training     {} epochs, batch {}, Adam lr {}, seed {}",
        c.epochs, c.batch_size, c.optimizer.lr, c.seed
    );
    if let Some(n) = last_checkpoint(&run) {
        println!("checkpoint   epoch {n}");
    }
    if let Some(r) = last_valid {
        println!(
            "validation   epoch {}: -ELBO {:.3}, reconstruction {:.3}, KL {:.3}, {:.4} bits/dim",
            r.epoch,
            r.get("neg_elbo").unwrap_or(f64::NAN),
            r.get("recon").unwrap_or(f64::NAN),
            r.get("kl").unwrap_or(f64::NAN),
            r.get("bits_per_dim").unwrap_or(f64::NAN)
        );
    }
    Ok(())
}
