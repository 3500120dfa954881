//! Adam with PyTorch's update rule. On libtorch it runs as the seven element-wise passes per
//! parameter that `torch.optim.Adam` makes (in place where nothing else holds the tensor);
//! elsewhere it is burn's `Adam`.
//!
//! burn's `Adam` spends 13 out-of-place tensor operations per parameter and step, which on
//! libtorch CPU costs more than the PyTorch reference's whole optimizer step. Both paths keep
//! burn's `AdamState`, so optimizer checkpoints do not depend on the backend that wrote them.

use burn::optim::{
    Adam as BurnAdam, AdamConfig, AdamState, LearningRate, ModuleOptimizer, Optimizer,
};
use burn::tensor::{Device, Tensor};

use crate::OptimizerConfig;

/// Adam without weight decay or AMSGrad; ε is added to √v̂, as in PyTorch and burn.
#[derive(Clone)]
pub(crate) struct Adam {
    #[cfg_attr(not(feature = "tch"), allow(dead_code))]
    config: OptimizerConfig,
    portable: BurnAdam,
}

impl Adam {
    pub(crate) fn new(config: &OptimizerConfig) -> Self {
        Self {
            config: config.clone(),
            portable: AdamConfig::new()
                .with_beta_1(config.beta_1)
                .with_beta_2(config.beta_2)
                .with_epsilon(config.epsilon)
                .build(),
        }
    }

    /// The optimizer for burn-train's `Learner`.
    pub(crate) fn init(config: &OptimizerConfig) -> ModuleOptimizer {
        ModuleOptimizer::from(Self::new(config))
    }
}

impl Optimizer for Adam {
    type State<const D: usize> = AdamState<D>;

    fn step<const D: usize>(
        &self,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<AdamState<D>>,
    ) -> (Tensor<D>, Option<AdamState<D>>) {
        #[cfg(feature = "tch")]
        let (tensor, grad, state) = match libtorch::step(&self.config, lr, tensor, grad, state) {
            Ok(done) => return done,
            Err(inputs) => *inputs,
        };
        self.portable.step(lr, tensor, grad, state)
    }

    fn to_device<const D: usize>(state: AdamState<D>, device: &Device) -> AdamState<D> {
        BurnAdam::to_device(state, device)
    }
}

#[cfg(feature = "tch")]
#[allow(deprecated)] // burn 0.22 deprecates burn-tch; it is our libtorch backend.
mod libtorch {
    use burn::backend::LibTorch;
    use burn::backend::libtorch::TchTensor;
    use burn::optim::{AdamState, AdaptiveMomentumState, LearningRate};
    use burn::tensor::Tensor;

    use crate::OptimizerConfig;

    type Inputs<const D: usize> = (Tensor<D>, Tensor<D>, Option<AdamState<D>>);
    type Done<const D: usize> = (Tensor<D>, Option<AdamState<D>>);

    fn on_libtorch<const D: usize>(t: &Tensor<D>) -> Option<TchTensor> {
        t.clone().try_into_primitive::<LibTorch>().ok()
    }

    /// Applies an update in place when nothing else reads `t`'s storage, else writes it to a
    /// new tensor: burn-train's `Learner` still holds the model it is replacing while the
    /// optimizer steps, so the parameters usually take the second path, which costs the same
    /// single pass.
    fn update(
        mut t: TchTensor,
        in_place: impl FnOnce(&mut tch::Tensor),
        out_of_place: impl FnOnce(&tch::Tensor) -> tch::Tensor,
    ) -> TchTensor {
        if t.can_mut() {
            in_place(&mut t.tensor);
            t
        } else {
            TchTensor::new(out_of_place(&t.tensor))
        }
    }

    /// One step in libtorch kernels when every tensor lives on libtorch and AMSGrad is off;
    /// otherwise the inputs come back untouched for burn's Adam.
    pub(super) fn step<const D: usize>(
        config: &OptimizerConfig,
        lr: LearningRate,
        tensor: Tensor<D>,
        grad: Tensor<D>,
        state: Option<AdamState<D>>,
    ) -> Result<Done<D>, Box<Inputs<D>>> {
        let (Some(param), Some(g)) = (on_libtorch(&tensor), on_libtorch(&grad)) else {
            return Err(Box::new((tensor, grad, state)));
        };
        let moments = match &state {
            None => None,
            Some(s) => {
                let m = &s.momentum;
                match (on_libtorch(&m.moment_1), on_libtorch(&m.moment_2)) {
                    (Some(m1), Some(m2)) if m.max_moment_2.is_none() => Some((m.time, m1, m2)),
                    _ => return Err(Box::new((tensor, grad, state))),
                }
            }
        };
        // From here on ours are the only handles, so `update` works in place unless someone
        // else still reads the storage.
        drop((tensor, grad, state));
        let (w1, w2) = (
            1.0 - f64::from(config.beta_1),
            1.0 - f64::from(config.beta_2),
        );

        let (time, m, v) = match moments {
            // PyTorch starts both moments at zero; one lerp from zero is a scaling.
            None => {
                let m = g.tensor.g_mul_scalar(w1);
                let v = g.tensor.square().g_mul_scalar_(w2);
                (1, TchTensor::new(m), TchTensor::new(v))
            }
            // m ← m + (1 − β₁)(g − m); v ← v + (1 − β₂)(g² − v).
            Some((time, m, v)) => {
                let m = update(
                    m,
                    |m| drop(m.lerp_(&g.tensor, w1)),
                    |m| m.lerp(&g.tensor, w1),
                );
                let g2 = update(g, |g| drop(g.square_()), |g| g.square());
                let v = update(
                    v,
                    |v| drop(v.lerp_(&g2.tensor, w2)),
                    |v| v.lerp(&g2.tensor, w2),
                );
                (time + 1, m, v)
            }
        };

        // θ ← θ − lr/(1 − β₁ᵗ) · m / (√v / √(1 − β₂ᵗ) + ε), with √(1 − β₂ᵗ) moved into the
        // numerator and the step size into the denominator, so that one addcdiv applies it.
        let t = time as i32;
        let bias2_sqrt = (1.0 - (1.0 - w2).powi(t)).sqrt();
        let step_size = lr * bias2_sqrt / (1.0 - (1.0 - w1).powi(t));
        let mut denom = v.tensor.sqrt();
        let _ = denom.g_add_scalar_(f64::from(config.epsilon) * bias2_sqrt);
        let _ = denom.g_mul_scalar_(-1.0 / step_size);
        let param = update(
            param,
            |p| drop(p.addcdiv_(&m.tensor, &denom)),
            |p| p.addcdiv(&m.tensor, &denom),
        );

        let state = AdamState::new(AdaptiveMomentumState::new(
            time,
            Tensor::from_primitive::<LibTorch>(m),
            Tensor::from_primitive::<LibTorch>(v),
        ));
        Ok((Tensor::from_primitive::<LibTorch>(param), Some(state)))
    }
}

#[cfg(test)]
mod tests {
    use burn::nn::{Linear, LinearConfig};
    use burn::optim::{AdamConfig, GradientsParams, ModuleOptimizer};
    use burn::tensor::{Device, Distribution, Tensor};

    use crate::OptimizerConfig;

    #[allow(deprecated)] // burn 0.22 deprecates ndarray and burn-tch; our users still ask for them.
    fn devices() -> Vec<Device> {
        #[allow(unused_mut)]
        let mut devices = vec![Device::flex(), Device::ndarray()];
        #[cfg(feature = "tch")]
        devices.push(Device::libtorch());
        devices
    }

    fn weights(model: &Linear) -> Vec<f32> {
        let mut w = model
            .weight
            .val()
            .into_data()
            .try_to_vec::<f32>()
            .expect("f32");
        let bias = model.bias.as_ref().expect("bias").val();
        w.extend(bias.into_data().try_to_vec::<f32>().expect("f32"));
        w
    }

    /// Steps `model` `steps` times on a fixed regression loss; `keep` holds each pre-step model,
    /// so that the step must not write over storage that someone else still reads.
    fn train(
        mut optim: ModuleOptimizer,
        mut model: Linear,
        x: &Tensor<2>,
        steps: usize,
        keep: bool,
    ) -> (Linear, Vec<Linear>) {
        let mut kept = Vec::new();
        for _ in 0..steps {
            let loss = model.forward(x.clone()).powi_scalar(2).sum();
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            if keep {
                kept.push(model.clone());
            }
            model = optim.step(1e-2, model, grads);
        }
        (model, kept)
    }

    #[test]
    fn matches_burn_adam_and_leaves_shared_weights_alone() {
        let config = OptimizerConfig::default();
        for device in devices() {
            let device = device.autodiff();
            device.seed(7);
            let model = LinearConfig::new(6, 3).init(&device);
            let x = Tensor::<2>::random([5, 6], Distribution::Normal(0.0, 1.0), &device);
            let ours = super::Adam::init(&config);
            let burns = AdamConfig::new().with_epsilon(config.epsilon).init();

            let (a, _) = train(ours, model.clone(), &x, 5, false);
            let (b, _) = train(burns, model.clone(), &x, 5, false);
            for (p, q) in weights(&a).iter().zip(weights(&b)) {
                assert!((p - q).abs() < 1e-6, "{device:?}: {p} vs {q}");
            }

            let start = weights(&model);
            let (c, kept) = train(super::Adam::init(&config), model, &x, 5, true);
            assert_eq!(weights(&kept[0]), start, "{device:?}: a kept model changed");
            assert_ne!(weights(&kept[1]), weights(&kept[2]));
            assert_eq!(
                weights(&c),
                weights(&a),
                "{device:?}: results depend on sharing"
            );
        }
    }

    /// The test above passes on either path; this one pins libtorch tensors to the fused one.
    #[cfg(feature = "tch")]
    #[test]
    #[allow(deprecated)]
    fn libtorch_tensors_take_the_in_place_path() {
        let config = OptimizerConfig::default();
        let device = Device::libtorch();
        let p = Tensor::<2>::random([4, 3], Distribution::Normal(0.0, 1.0), &device);
        let g = Tensor::<2>::random([4, 3], Distribution::Normal(0.0, 1.0), &device);
        let first = super::libtorch::step(&config, 1e-3, p, g.clone(), None);
        let Ok((p, state)) = first else {
            panic!("first step fell back to burn's Adam")
        };
        let second = super::libtorch::step(&config, 1e-3, p, g, state);
        let Ok((_, Some(state))) = second else {
            panic!("second step fell back to burn's Adam")
        };
        assert_eq!(state.momentum.time, 2);
    }
}
