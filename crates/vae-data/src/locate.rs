use std::path::{Path, PathBuf};

const BUNDLED: &str = "data/mnist";
const PROBE: &str = "train-images-idx3-ubyte.gz";

/// The bundled MNIST directory: `data/mnist` in the first directory, walking up from the
/// current one, that holds it; else the one in the checkout this crate was built from.
pub fn default_data_dir() -> PathBuf {
    if let Ok(cwd) = std::env::current_dir() {
        for dir in cwd.ancestors() {
            let candidate = dir.join(BUNDLED);
            if candidate.join(PROBE).is_file() {
                return candidate;
            }
        }
    }
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(BUNDLED)
}
