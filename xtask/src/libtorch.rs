//! Finding libtorch for the tch leg: an explicit `LIBTORCH`, or a Python environment with torch
//! (torch-sys's `LIBTORCH_USE_PYTORCH` mode; `.ci/run` creates one at ~/.cache/vae/venv).

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

pub(crate) const HOW: &str = "Set LIBTORCH to a libtorch directory, or VIRTUAL_ENV to a venv with torch \\
(e.g. `python3 -m venv ~/.cache/vae/venv && ~/.cache/vae/venv/bin/pip install torch==2.11.0`, which .ci/run does)";

pub(crate) enum Libtorch {
    /// A libtorch directory.
    Dir(PathBuf),
    /// A virtual environment whose Python has torch, with torch's version and library folder.
    Venv {
        venv: PathBuf,
        version: String,
        lib: PathBuf,
    },
}

pub(crate) fn find() -> Option<Libtorch> {
    if let Some(dir) = env::var_os("LIBTORCH").map(PathBuf::from) {
        return Some(Libtorch::Dir(dir));
    }
    let mut venvs: Vec<PathBuf> = env::var_os("VIRTUAL_ENV")
        .map(PathBuf::from)
        .into_iter()
        .collect();
    if let Some(home) = env::var_os("HOME") {
        venvs.push(Path::new(&home).join(".cache/vae/venv"));
    }
    venvs.into_iter().find_map(|venv| {
        let out = Command::new(venv.join("bin/python"))
            .args(["-c", "import os, torch; print(torch.__version__); print(os.path.join(os.path.dirname(torch.__file__), 'lib'))"])
            .output()
            .ok()?;
        let text = String::from_utf8(out.stdout).ok()?;
        let mut lines = text.lines();
        let version = lines.next()?.trim().to_string();
        let lib = PathBuf::from(lines.next()?.trim());
        (out.status.success() && lib.is_dir()).then_some(Libtorch::Venv { venv, version, lib })
    })
}

impl Libtorch {
    pub(crate) fn describe(&self) -> String {
        match self {
            Self::Dir(d) => format!("LIBTORCH={}", d.display()),
            Self::Venv { venv, version, .. } => format!("torch {version} from {}", venv.display()),
        }
    }

    /// Sets the build and run environment, with a target directory of its own per torch
    /// version (torch-sys does not rebuild when only PATH changes).
    pub(crate) fn apply(&self, cmd: &mut Command) {
        let base = env::var_os("CARGO_TARGET_DIR")
            .map(PathBuf::from)
            .unwrap_or(crate::root().join("target"));
        match self {
            Self::Dir(dir) => {
                let lib = dir.join("lib");
                cmd.env("LD_LIBRARY_PATH", prepend(&lib, "LD_LIBRARY_PATH"));
                cmd.env("CARGO_TARGET_DIR", suffixed(&base, "tch-libtorch"));
            }
            Self::Venv { venv, version, lib } => {
                cmd.env("VIRTUAL_ENV", venv)
                    .env("PATH", prepend(&venv.join("bin"), "PATH"))
                    .env("LIBTORCH_USE_PYTORCH", "1")
                    // tch 0.22 targets torch 2.9; 2.11 builds and runs with deprecation warnings.
                    .env("LIBTORCH_BYPASS_VERSION_CHECK", "1")
                    .env("LD_LIBRARY_PATH", prepend(lib, "LD_LIBRARY_PATH"))
                    .env(
                        "CARGO_TARGET_DIR",
                        suffixed(&base, &format!("tch-{}", version.replace('+', "-"))),
                    );
            }
        }
    }
}

fn prepend(dir: &Path, var: &str) -> std::ffi::OsString {
    let mut paths = vec![dir.to_path_buf()];
    if let Some(old) = env::var_os(var) {
        paths.extend(env::split_paths(&old));
    }
    env::join_paths(paths).unwrap_or_default()
}

fn suffixed(base: &Path, suffix: &str) -> PathBuf {
    let name = base
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "target".into());
    base.with_file_name(format!("{name}-{suffix}"))
}
