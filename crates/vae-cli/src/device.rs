//! Maps --backend/--device to a burn `Device`. The backends a binary contains are fixed by
//! cargo features; asking for another one is an error that says how to rebuild.

use anyhow::{Result, bail};
use burn::tensor::Device;

use crate::args::{BackendName, ComputeArgs};

/// A parsed --device.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    Cpu,
    Cuda(usize),
}

fn parse(spec: &str) -> Result<Target> {
    let s = spec.trim().to_ascii_lowercase();
    match s.as_str() {
        "cpu" => Ok(Target::Cpu),
        "cuda" | "gpu" => Ok(Target::Cuda(0)),
        _ => match s.strip_prefix("cuda:").map(str::parse::<usize>) {
            Some(Ok(i)) => Ok(Target::Cuda(i)),
            _ => bail!("unknown device `{spec}`; expected cpu, cuda or cuda:N"),
        },
    }
}

/// What computed a run's numbers, for files that must be decoded by the same: backend, device
/// and this build's version.
pub fn label(args: &ComputeArgs) -> String {
    let backend = match args.backend {
        BackendName::Flex => "flex",
        BackendName::Ndarray => "ndarray",
        BackendName::Tch => "tch",
    };
    format!(
        "vae {} {backend} {}",
        env!("CARGO_PKG_VERSION"),
        args.device
    )
}

pub fn device(args: &ComputeArgs) -> Result<Device> {
    let target = parse(&args.device)?;
    match args.backend {
        BackendName::Flex => cpu_only("flex", target, flex),
        BackendName::Ndarray => cpu_only("ndarray", target, ndarray),
        BackendName::Tch => libtorch(target),
    }
}

fn cpu_only(name: &str, target: Target, make: fn() -> Result<Device>) -> Result<Device> {
    if target != Target::Cpu {
        bail!(
            "the {name} backend runs on the CPU only; CUDA needs --backend tch (a build with --features tch)"
        );
    }
    make()
}

#[cfg(feature = "flex")]
fn flex() -> Result<Device> {
    Ok(Device::flex())
}

#[cfg(not(feature = "flex"))]
fn flex() -> Result<Device> {
    bail!(
        "this vae was built without the flex backend; rebuild with `cargo build --release -p vae-cli --features flex`"
    )
}

#[cfg(feature = "ndarray")]
fn ndarray() -> Result<Device> {
    #[allow(deprecated)] // burn 0.22 deprecates ndarray in favour of flex; we keep it selectable.
    Ok(Device::ndarray())
}

#[cfg(not(feature = "ndarray"))]
fn ndarray() -> Result<Device> {
    bail!(
        "this vae was built without the ndarray backend; rebuild with `cargo build --release -p vae-cli --features ndarray`"
    )
}

#[cfg(feature = "tch")]
#[allow(deprecated)] // burn 0.22 deprecates burn-tch; it is our libtorch (and CUDA) backend.
fn libtorch(target: Target) -> Result<Device> {
    match target {
        Target::Cpu => Ok(Device::libtorch()),
        Target::Cuda(index) => {
            // Ask before burn-tch does: libtorch would abort deep inside on a missing device.
            let count = usize::try_from(tch::Cuda::device_count()).unwrap_or(0);
            if count == 0 {
                bail!(
                    "--device cuda:{index}: libtorch sees no CUDA device (no NVIDIA GPU or driver here, or a CPU-only libtorch); use --device cpu"
                );
            }
            if index >= count {
                bail!(
                    "--device cuda:{index}: libtorch sees {count} CUDA device(s), numbered 0 to {}",
                    count - 1
                );
            }
            Ok(Device::libtorch_cuda(index))
        }
    }
}

#[cfg(not(feature = "tch"))]
fn libtorch(_: Target) -> Result<Device> {
    bail!(
        "this vae was built without the libtorch backend; rebuild with `cargo build --release -p vae-cli --features tch` (README: getting libtorch)"
    )
}
