//! `cargo xtask bench-compress`: `vae compress` on the MNIST test set, binarised and 8-bit,
//! beside gzip -9, bzip2 -9, xz -9 and PNG on the same bytes, in the same run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::{Result, cargo, root, run};

/// Seed of the stochastic binarisation: pixel v is 1 with probability v/255, drawn in file order
/// from SplitMix64 seeded with this value.
pub(crate) const BINARIZE_SEED: u64 = 0xb1a5;

/// Training recipes for models the bench needs but does not find.
const BINARY_RECIPE: &[&str] = &[
    "--binarize",
    "dynamic",
    "--hidden",
    "512,256",
    "--latent",
    "40",
    "--epochs",
    "60",
];
const BYTES_RECIPE: &[&str] = &[
    "--likelihood",
    "logistic-mixture",
    "--components",
    "3",
    "--hidden",
    "512,256",
    "--latent",
    "40",
    "--epochs",
    "40",
];

struct Options {
    binary_model: PathBuf,
    bytes_model: PathBuf,
    examples: usize,
}

fn parse(args: &[String]) -> Result<Options> {
    let root = root();
    let mut o = Options {
        binary_model: root.join("runs/bench-binary"),
        bytes_model: root.join("runs/bench-8bit"),
        examples: 10_000,
    };
    let mut it = args.iter();
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--binary-model" => o.binary_model = PathBuf::from(value()?),
            "--bytes-model" => o.bytes_model = PathBuf::from(value()?),
            "--examples" => {
                o.examples = value()?
                    .parse()
                    .ok()
                    .filter(|&n| (1..=10_000).contains(&n))
                    .ok_or("--examples takes 1 to 10000")?
            }
            other => return Err(format!("unknown option {other}")),
        }
    }
    Ok(o)
}

fn splitmix64(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
    let mut z = *state;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Each pixel becomes 1 with probability v/255.
pub(crate) fn binarize(pixels: &[u8]) -> Vec<u8> {
    let mut state = BINARIZE_SEED;
    pixels
        .iter()
        .map(|&v| {
            let u = (splitmix64(&mut state) >> 11) as f64 / (1u64 << 53) as f64;
            u8::from(u < f64::from(v) / 255.0)
        })
        .collect()
}

fn idx(n: usize, pixels: &[u8]) -> Vec<u8> {
    let mut out = vec![0, 0, 8, 3];
    for d in [n as u32, 28, 28] {
        out.extend(d.to_be_bytes());
    }
    out.extend_from_slice(pixels);
    out
}

fn gzip(bytes: &[u8]) -> Result<usize> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(bytes).map_err(|e| e.to_string())?;
    Ok(e.finish().map_err(|e| e.to_string())?.len())
}

fn bzip2(bytes: &[u8]) -> Result<usize> {
    let mut e = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
    e.write_all(bytes).map_err(|e| e.to_string())?;
    Ok(e.finish().map_err(|e| e.to_string())?.len())
}

fn xz(bytes: &[u8]) -> Result<usize> {
    let mut e = liblzma::write::XzEncoder::new(Vec::new(), 9);
    e.write_all(bytes).map_err(|e| e.to_string())?;
    Ok(e.finish().map_err(|e| e.to_string())?.len())
}

/// One PNG holding every image stacked vertically, at the bit depth of the data, best
/// compression with adaptive filtering.
fn png(pixels: &[u8], n: usize, binary: bool) -> Result<usize> {
    let mut out = Vec::new();
    let mut e = png::Encoder::new(&mut out, 28, 28 * n as u32);
    e.set_color(png::ColorType::Grayscale);
    e.set_compression(png::Compression::High);
    e.set_filter(png::Filter::Adaptive);
    let data = if binary {
        e.set_depth(png::BitDepth::One);
        pack_bits(pixels, 28)
    } else {
        e.set_depth(png::BitDepth::Eight);
        pixels.to_vec()
    };
    let mut w = e.write_header().map_err(|e| e.to_string())?;
    w.write_image_data(&data).map_err(|e| e.to_string())?;
    w.finish().map_err(|e| e.to_string())?;
    Ok(out.len())
}

/// 0/1 bytes to bits, most significant first, each row of `row` pixels padded to whole bytes.
fn pack_bits(bits: &[u8], row: usize) -> Vec<u8> {
    bits.chunks(row)
        .flat_map(|r| {
            r.chunks(8).map(|c| {
                c.iter()
                    .enumerate()
                    .fold(0u8, |acc, (i, &b)| acc | (u8::from(b != 0) << (7 - i)))
            })
        })
        .collect()
}

struct Codec {
    bytes: usize,
    neg_elbo_bits_per_dim: f64,
    compress_per_s: f64,
    decompress_per_s: f64,
}

fn json_f64(v: &serde_json::Value, key: &str) -> Result<f64> {
    v[key].as_f64().ok_or(format!("no `{key}` in {v}"))
}

fn ours(vae: &Path, model: &Path, input: &Path, n: usize) -> Result<Codec> {
    let packed = input.with_extension("vaez");
    let restored = input.with_extension("restored");
    let out = Command::new(vae)
        .arg("compress")
        .arg("--model")
        .arg(model)
        .arg(input)
        .arg("-o")
        .arg(&packed)
        .arg("--json")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", vae.display()))?;
    if !out.status.success() {
        return Err(format!(
            "vae compress failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let c: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    let out = Command::new(vae)
        .arg("decompress")
        .arg("--model")
        .arg(model)
        .arg(&packed)
        .arg("-o")
        .arg(&restored)
        .arg("--json")
        .output()
        .map_err(|e| format!("cannot run {}: {e}", vae.display()))?;
    if !out.status.success() {
        return Err(format!(
            "vae decompress failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let d: serde_json::Value = serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())?;
    let same = std::fs::read(input).map_err(|e| e.to_string())?
        == std::fs::read(&restored).map_err(|e| e.to_string())?;
    if !same {
        return Err(format!(
            "{} did not round-trip byte for byte",
            input.display()
        ));
    }
    Ok(Codec {
        bytes: json_f64(&c, "bytes")? as usize,
        neg_elbo_bits_per_dim: json_f64(&c, "neg_elbo_bits_per_dim")?,
        compress_per_s: n as f64 / json_f64(&c, "seconds")?,
        decompress_per_s: n as f64 / json_f64(&d, "seconds")?,
    })
}

fn ensure_model(vae: &Path, dir: &Path, recipe: &[&str]) -> Result<()> {
    if dir.join("model.bpk").is_file() {
        return Ok(());
    }
    eprintln!(
        "no model in {}: training one: vae train --out {} {}",
        dir.display(),
        dir.display(),
        recipe.join(" ")
    );
    run(Command::new(vae)
        .arg("train")
        .arg("--out")
        .arg(dir)
        .args(recipe))
}

pub(crate) fn run_bench_compress(args: &[String]) -> Result<()> {
    let o = parse(args)?;
    let root = root();
    let mut build = cargo();
    build.args(["build", "--release", "-p", "vae-cli"]);
    run(&mut build)?;
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or(root.join("target"));
    let vae = target.join("release/vae");
    ensure_model(&vae, &o.binary_model, BINARY_RECIPE)?;
    ensure_model(&vae, &o.bytes_model, BYTES_RECIPE)?;

    let gz = std::fs::read(root.join("data/mnist/t10k-images-idx3-ubyte.gz"))
        .map_err(|e| e.to_string())?;
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut flate2::read::GzDecoder::new(&gz[..]), &mut raw)
        .map_err(|e| e.to_string())?;
    let n = o.examples;
    let pixels = &raw[16..16 + n * 784];
    let work = target.join("bench-compress");
    std::fs::create_dir_all(&work).map_err(|e| e.to_string())?;

    println!(
        "MNIST test set, first {n} images (784 pixels each); bits per pixel (dim), whole files \
         with headers; same bytes for every method"
    );
    println!(
        "{:<9} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>8} {:>11} {:>11}",
        "data",
        "vae",
        "-ELBO",
        "gzip-9",
        "bzip2-9",
        "xz-9",
        "PNG",
        "best-std",
        "compress/s",
        "decompress/s"
    );
    for (name, binary, model) in [
        ("binarised", true, &o.binary_model),
        ("8-bit", false, &o.bytes_model),
    ] {
        let data = if binary {
            binarize(pixels)
        } else {
            pixels.to_vec()
        };
        let file = idx(n, &data);
        let input = work.join(format!("{name}.idx"));
        std::fs::write(&input, &file).map_err(|e| e.to_string())?;
        // Binary data is bit-packed before the general-purpose compressors, as in BB-ANS.
        let general = if binary {
            let mut f = file[..16].to_vec();
            f.extend(pack_bits(&data, 784));
            f
        } else {
            file.clone()
        };
        let dims = (n * 784) as f64;
        let bpd = |bytes: usize| bytes as f64 * 8.0 / dims;
        let (g, b, x, p) = (
            gzip(&general)?,
            bzip2(&general)?,
            xz(&general)?,
            png(&data, n, binary)?,
        );
        let c = ours(&vae, model, &input, n)?;
        let best = [g, b, x, p].into_iter().min().unwrap_or(usize::MAX);
        println!(
            "{:<9} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>8.4} {:>11.0} {:>11.0}",
            name,
            bpd(c.bytes),
            c.neg_elbo_bits_per_dim,
            bpd(g),
            bpd(b),
            bpd(x),
            bpd(p),
            bpd(best),
            c.compress_per_s,
            c.decompress_per_s
        );
    }
    println!(
        "(vae: `vae compress` output size, round trip checked byte for byte; -ELBO: the model's, \
         with the z each image popped and the KL in closed form; binarisation: SplitMix64 seed \
         {BINARIZE_SEED:#x}; models: {} and {})",
        o.binary_model.display(),
        o.bytes_model.display()
    );
    Ok(())
}
