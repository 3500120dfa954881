//! The decoded images behind each picture, as row-major `f32` values, one image after another.
//!
//! Randomness comes from the device's generator: seed it (`device.seed(s)`) first for a
//! repeatable picture.

use burn::tensor::{Device, Distribution, Tensor, TensorData};
use vae_model::Vae;

use crate::{Result, VizError};

fn values(t: Tensor<2>) -> Result<Vec<f32>> {
    t.into_data()
        .convert::<f32>()
        .try_to_vec::<f32>()
        .map_err(|e| VizError::Invalid(format!("cannot read a picture back: {e:?}")))
}

/// `n` codes from the prior N(0, I), decoded: the mean of p(x|z), or one draw from it when
/// `stochastic`.
pub fn prior_samples(vae: &Vae, n: usize, stochastic: bool, device: &Device) -> Result<Vec<f32>> {
    if n == 0 {
        return Err(VizError::Invalid("asked for 0 samples".into()));
    }
    let z = Tensor::<2>::random(
        [n, vae.latent_dim()],
        Distribution::Normal(0.0, 1.0),
        device,
    );
    values(if stochastic {
        vae.decode_sample(z)
    } else {
        vae.decode_mean(z)
    })
}

/// The decoded posterior means of `x: [n, input_dim]`.
pub fn reconstructions(vae: &Vae, x: Tensor<2>) -> Result<Vec<f32>> {
    values(vae.decode_mean(vae.encode(x).mean))
}

/// `steps` evenly spaced points from the posterior mean of `a` to that of `b` (both
/// `[1, input_dim]`, endpoints included), decoded.
pub fn interpolation(vae: &Vae, a: Tensor<2>, b: Tensor<2>, steps: usize) -> Result<Vec<f32>> {
    if steps < 2 {
        return Err(VizError::Invalid(
            "an interpolation needs at least 2 steps".into(),
        ));
    }
    let za = vae.encode(a).mean;
    let zb = vae.encode(b).mean;
    let codes: Vec<Tensor<2>> = (0..steps)
        .map(|i| {
            let t = i as f64 / (steps - 1) as f64;
            za.clone().mul_scalar(1.0 - t) + zb.clone().mul_scalar(t)
        })
        .collect();
    values(vae.decode_mean(Tensor::cat(codes, 0)))
}

/// One row per latent dimension: the posterior mean of `x: [1, input_dim]` with that dimension
/// swept over `steps` evenly spaced values in [−range, range], decoded.
pub fn traversal(vae: &Vae, x: Tensor<2>, range: f64, steps: usize) -> Result<Vec<f32>> {
    if steps < 2 || !(range.is_finite() && range > 0.0) {
        return Err(VizError::Invalid(format!(
            "a traversal needs at least 2 steps and a positive range (got {steps} steps, range {range})"
        )));
    }
    let code = vae.encode(x).mean;
    let latent = vae.latent_dim();
    let mut codes = Vec::with_capacity(latent * steps);
    for d in 0..latent {
        for i in 0..steps {
            let value = -range + 2.0 * range * i as f64 / (steps - 1) as f64;
            codes.push(code.clone().slice_assign(
                [0..1, d..d + 1],
                Tensor::full([1, 1], value, &code.device()),
            ));
        }
    }
    values(vae.decode_mean(Tensor::cat(codes, 0)))
}

/// The decoded means of a `steps × steps` grid of 2-D latent codes at the prior's quantiles
/// Φ⁻¹((i + ½) / steps), first dimension across and second down (top row highest), as in
/// Kingma & Welling's figures of the learned manifold.
pub fn manifold(vae: &Vae, steps: usize, device: &Device) -> Result<Vec<f32>> {
    if vae.latent_dim() != 2 {
        return Err(VizError::Invalid(format!(
            "a manifold grid needs a 2-D latent space; this model's has {} dimensions",
            vae.latent_dim()
        )));
    }
    if steps < 2 {
        return Err(VizError::Invalid("--steps must be at least 2".into()));
    }
    let normal = statrs::distribution::Normal::standard();
    let q = |i: usize| {
        use statrs::distribution::ContinuousCDF;
        normal.inverse_cdf((i as f64 + 0.5) / steps as f64) as f32
    };
    let mut z = Vec::with_capacity(2 * steps * steps);
    for row in 0..steps {
        for col in 0..steps {
            z.extend([q(col), q(steps - 1 - row)]);
        }
    }
    let z = Tensor::<2>::from_data(TensorData::new(z, [steps * steps, 2]), device);
    values(vae.decode_mean(z))
}

#[cfg(test)]
mod tests {
    use super::*;
    use vae_model::VaeConfig;

    fn model(device: &Device) -> Vae {
        VaeConfig::new()
            .with_input_dim(6)
            .with_hidden(vec![5])
            .with_latent_dim(3)
            .init(device)
    }

    #[test]
    fn pictures_have_the_requested_number_of_images_and_repeat_under_a_seed() {
        let device = Device::flex();
        let vae = model(&device);
        let x = Tensor::<2>::random([2, 6], Distribution::Default, &device);
        let a = x.clone().slice([0..1, 0..6]);
        let b = x.clone().slice([1..2, 0..6]);

        device.seed(7);
        let s1 = prior_samples(&vae, 4, false, &device).expect("samples");
        device.seed(7);
        assert_eq!(s1, prior_samples(&vae, 4, false, &device).expect("again"));
        assert_eq!(s1.len(), 4 * 6);
        assert!(s1.iter().all(|v| (0.0..=1.0).contains(v)));
        let drawn = prior_samples(&vae, 4, true, &device).expect("draws");
        assert!(drawn.iter().all(|&v| v == 0.0 || v == 1.0));

        assert_eq!(reconstructions(&vae, x).expect("recon").len(), 2 * 6);

        let line = interpolation(&vae, a.clone(), b.clone(), 5).expect("interp");
        assert_eq!(line.len(), 5 * 6);
        // The endpoints are the reconstructions of a and b.
        let ra = reconstructions(&vae, a.clone()).expect("a");
        let rb = reconstructions(&vae, b).expect("b");
        let close = |p: &[f32], q: &[f32]| p.iter().zip(q).all(|(u, v)| (u - v).abs() < 1e-5);
        assert!(close(&line[..6], &ra) && close(&line[4 * 6..], &rb));

        let sweep = traversal(&vae, a, 3.0, 4).expect("traversal");
        assert_eq!(sweep.len(), 3 * 4 * 6);
        assert!(interpolation(&vae, ra_tensor(&device), ra_tensor(&device), 1).is_err());
    }

    #[test]
    fn manifold_decodes_a_grid_of_prior_quantiles() {
        let device = Device::flex();
        let vae = VaeConfig::new()
            .with_input_dim(6)
            .with_hidden(vec![5])
            .with_latent_dim(2)
            .init(&device);
        let grid = manifold(&vae, 4, &device).expect("grid");
        assert_eq!(grid.len(), 4 * 4 * 6);
        // The centre-symmetric corners decode the codes (q0, q3) and (q3, q0).
        let q = |v: f32| Tensor::<2>::from_data(TensorData::new(vec![v, -v], [1, 2]), &device);
        let corner = values(vae.decode_mean(q(-1.150_349_4))).expect("decode");
        let close = |p: &[f32], r: &[f32]| p.iter().zip(r).all(|(u, v)| (u - v).abs() < 1e-5);
        assert!(
            close(&grid[..6], &corner),
            "top left is (Φ⁻¹(1/8), Φ⁻¹(7/8))"
        );
        assert!(manifold(&model(&device), 4, &device).is_err(), "3-D latent");
    }

    fn ra_tensor(device: &Device) -> Tensor<2> {
        Tensor::zeros([1, 6], device)
    }
}
