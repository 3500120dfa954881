//! Maps --backend/--device to a burn `Device`. The backends a binary contains are fixed by
//! cargo features; asking for another one is an error that says how to rebuild.

use anyhow::{Result, bail};
use burn::tensor::Device;

use crate::args::{BackendName, ComputeArgs};

pub fn device(args: &ComputeArgs) -> Result<Device> {
    let spec = args.device.trim().to_ascii_lowercase();
    if spec != "cpu" {
        if spec == "cuda" || spec.starts_with("cuda:") {
            bail!(
                "the {} backend runs on the CPU only; CUDA needs the libtorch backend, which this build does not include",
                name(args.backend)
            );
        }
        bail!(
            "unknown device `{}`; expected cpu, cuda or cuda:N",
            args.device
        );
    }
    match args.backend {
        BackendName::Flex => flex(),
        BackendName::Ndarray => ndarray(),
    }
}

fn name(backend: BackendName) -> &'static str {
    match backend {
        BackendName::Flex => "flex",
        BackendName::Ndarray => "ndarray",
    }
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
