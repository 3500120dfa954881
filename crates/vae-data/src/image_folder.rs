//! A folder of PNG images of one size: grey or RGB, flattened row-major with channels
//! interleaved. Like torchvision's `ImageFolder`, a folder whose PNGs sit in subfolders takes
//! each subfolder's name as the class label.

use std::path::{Path, PathBuf};

use image::DynamicImage;

use crate::{DataError, Examples, ImageShape, Result};

/// Reads every `.png` in `dir` (sorted by name), or in its subfolders (one class each).
pub fn read_png_folder(dir: &Path) -> Result<Examples> {
    let bad = |why: String| DataError::BadFile {
        path: dir.to_path_buf(),
        why,
    };
    let top = pngs_in(dir)?;
    let (files, labels, names) = if !top.is_empty() {
        (top, None, None)
    } else {
        let mut classes: Vec<PathBuf> = list(dir)?.into_iter().filter(|p| p.is_dir()).collect();
        classes.sort();
        let mut files = Vec::new();
        let mut labels = Vec::new();
        let mut names = Vec::new();
        for class in classes {
            let pngs = pngs_in(&class)?;
            if pngs.is_empty() {
                continue;
            }
            let label = u8::try_from(names.len())
                .map_err(|_| bad("more than 256 class subfolders".into()))?;
            names.push(
                class
                    .file_name()
                    .map_or_else(String::new, |n| n.to_string_lossy().into_owned()),
            );
            labels.extend(std::iter::repeat_n(label, pngs.len()));
            files.extend(pngs);
        }
        (files, Some(labels), Some(names))
    };
    if files.is_empty() {
        return Err(bad(
            "holds no .png files (directly or in class subfolders) and no IDX files (train-images-idx3-ubyte[.gz])".into(),
        ));
    }

    let mut shape: Option<(ImageShape, PathBuf)> = None;
    let mut values = Vec::new();
    for file in &files {
        let (this, pixels) = decode(file)?;
        match &shape {
            None => shape = Some((this, file.clone())),
            Some((first, first_file)) if *first != this => {
                return Err(DataError::BadFile {
                    path: file.clone(),
                    why: format!(
                        "is {} ({}) but `{}` is {} ({}); all images must have one size and colour type",
                        this,
                        colour(this),
                        first_file.display(),
                        first,
                        colour(*first)
                    ),
                });
            }
            Some(_) => {}
        }
        values.extend_from_slice(&pixels);
    }
    let Some((shape, _)) = shape else {
        return Err(bad("holds no images".into()));
    };
    let mut examples = Examples::from_bytes(values, shape.dim(), labels)
        .with_image_shape(shape)
        .with_source(dir);
    if let Some(names) = names {
        examples = examples.with_label_names(names);
    }
    Ok(examples)
}

fn colour(shape: ImageShape) -> &'static str {
    if shape.channels == 3 { "RGB" } else { "grey" }
}

fn list(dir: &Path) -> Result<Vec<PathBuf>> {
    let io = |source| DataError::Io {
        path: dir.to_path_buf(),
        source,
    };
    std::fs::read_dir(dir)
        .map_err(io)?
        .map(|e| e.map(|e| e.path()).map_err(io))
        .collect()
}

fn pngs_in(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = list(dir)?
        .into_iter()
        .filter(|p| p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")))
        .collect();
    files.sort();
    Ok(files)
}

/// One image as bytes: 8-bit grey or RGB (16-bit images are reduced to 8 bits).
fn decode(path: &Path) -> Result<(ImageShape, Vec<u8>)> {
    let bad = |why: String| DataError::BadFile {
        path: path.to_path_buf(),
        why,
    };
    let image = image::ImageReader::open(path)
        .map_err(|source| DataError::Io {
            path: path.to_path_buf(),
            source,
        })?
        .with_guessed_format()
        .map_err(|source| DataError::Io {
            path: path.to_path_buf(),
            source,
        })?
        .decode()
        .map_err(|e| bad(format!("not a readable PNG ({e})")))?;
    let (cols, rows) = (image.width() as usize, image.height() as usize);
    let (channels, pixels) = match image {
        DynamicImage::ImageLuma8(_) | DynamicImage::ImageLuma16(_) => {
            (1, image.into_luma8().into_raw())
        }
        DynamicImage::ImageRgb8(_) | DynamicImage::ImageRgb16(_) => {
            (3, image.into_rgb8().into_raw())
        }
        other => {
            return Err(bad(format!(
                "has colour type {:?}; only grey and RGB images without alpha are supported",
                other.color()
            )));
        }
    };
    Ok((
        ImageShape {
            rows,
            cols,
            channels,
        },
        pixels,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn folder(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("vae-pngs-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("dir");
        dir
    }

    fn grey(path: &Path, w: u32, h: u32, v: u8) {
        image::GrayImage::from_pixel(w, h, image::Luma([v]))
            .save(path)
            .expect("png");
    }

    #[test]
    fn reads_grey_and_rgb_and_class_folders() {
        let dir = folder("grey");
        grey(&dir.join("b.png"), 3, 2, 9);
        grey(&dir.join("a.png"), 3, 2, 7);
        let d = read_png_folder(&dir).expect("reads");
        assert_eq!((d.len(), d.dim()), (2, 6));
        assert_eq!(d.bytes(0), Some(&[7u8; 6][..]), "sorted by name");
        assert_eq!(d.image_shape(), Some(ImageShape::grey(2, 3)));

        let dir = folder("rgb");
        std::fs::create_dir_all(dir.join("cat")).expect("dir");
        std::fs::create_dir_all(dir.join("dog")).expect("dir");
        for (class, v) in [("cat", 1u8), ("dog", 2)] {
            image::RgbImage::from_pixel(2, 2, image::Rgb([v, 0, 255]))
                .save(dir.join(class).join("x.png"))
                .expect("png");
        }
        let d = read_png_folder(&dir).expect("reads");
        assert_eq!(d.dim(), 12);
        assert_eq!((d.label(0), d.label(1)), (Some(0), Some(1)));
        assert_eq!(
            d.label_names(),
            Some(&["cat".to_string(), "dog".into()][..])
        );
    }

    #[test]
    fn mixed_sizes_and_empty_folders_are_refused() {
        let dir = folder("mixed");
        grey(&dir.join("a.png"), 3, 2, 7);
        grey(&dir.join("b.png"), 2, 3, 7);
        let e = read_png_folder(&dir).expect_err("mixed").to_string();
        assert!(
            e.contains("b.png") && e.contains("a.png") && e.contains("one size"),
            "{e}"
        );
        let e = read_png_folder(&folder("empty"))
            .expect_err("empty")
            .to_string();
        assert!(e.contains("no .png files"), "{e}");
        let dir = folder("garbage");
        std::fs::write(dir.join("x.png"), b"not a png").expect("write");
        let e = read_png_folder(&dir).expect_err("garbage").to_string();
        assert!(
            e.contains("x.png") && e.contains("not a readable PNG"),
            "{e}"
        );
    }
}
