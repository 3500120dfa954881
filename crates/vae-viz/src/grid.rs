use std::path::Path;

use image::{DynamicImage, GrayImage, ImageEncoder, Luma, Rgb, RgbImage};

use crate::{Result, VizError};

/// Grey or RGB images of one shape, laid out row by row with a 2-pixel dark border between
/// them.
#[derive(Clone, Debug)]
pub struct Grid {
    rows: usize,
    cols: usize,
    /// 1 (grey) or 3 (RGB, interleaved).
    channels: usize,
    per_row: usize,
    /// Row-major values in [0, 1] (clamped), one image after another.
    values: Vec<f32>,
}

/// Pixels between neighbouring images and around the grid.
const BORDER: usize = 2;

impl Grid {
    /// An empty grid of `rows × cols` greyscale images, `per_row` to a grid row.
    pub fn new(rows: usize, cols: usize, per_row: usize) -> Result<Self> {
        Self::with_channels(rows, cols, 1, per_row)
    }

    /// An empty grid of `rows × cols` images of `channels` (1 grey, 3 RGB) values per pixel.
    pub fn with_channels(
        rows: usize,
        cols: usize,
        channels: usize,
        per_row: usize,
    ) -> Result<Self> {
        if !matches!(channels, 1 | 3) {
            return Err(VizError::Invalid(format!(
                "images need 1 (grey) or 3 (RGB) channels, not {channels}"
            )));
        }
        if rows == 0 || cols == 0 || per_row == 0 {
            return Err(VizError::Invalid(format!(
                "a grid needs images of at least 1x1 pixels and at least one per row (got {rows}x{cols}, {per_row} per row)"
            )));
        }
        Ok(Self {
            rows,
            cols,
            channels,
            per_row,
            values: Vec::new(),
        })
    }

    /// Appends images given as concatenated row-major values.
    pub fn push(&mut self, values: &[f32]) -> Result<()> {
        let dim = self.dim();
        if !values.len().is_multiple_of(dim) {
            return Err(VizError::Invalid(format!(
                "{} values are not a whole number of {}x{} images",
                values.len(),
                self.rows,
                self.cols
            )));
        }
        self.values.extend_from_slice(values);
        Ok(())
    }

    /// Values per image.
    pub fn dim(&self) -> usize {
        self.rows * self.cols * self.channels
    }

    /// Images so far.
    pub fn len(&self) -> usize {
        self.values.len() / self.dim()
    }

    /// Whether no image was pushed.
    pub fn is_empty(&self) -> bool {
        self.values.is_empty()
    }

    /// The picture's `(width, height)` in pixels.
    pub fn size(&self) -> (usize, usize) {
        let across = self.per_row.min(self.len()).max(1);
        let down = self.len().div_ceil(self.per_row).max(1);
        (
            across * (self.cols + BORDER) + BORDER,
            down * (self.rows + BORDER) + BORDER,
        )
    }

    /// Renders the grid; values are clamped to [0, 1] and scaled to 0..=255.
    pub fn render(&self) -> Result<DynamicImage> {
        if self.is_empty() {
            return Err(VizError::Invalid("nothing to draw".into()));
        }
        let (width, height) = self.size();
        let too_big = || VizError::Invalid(format!("a {width}x{height} picture is too large"));
        let (w, h) = (
            u32::try_from(width).map_err(|_| too_big())?,
            u32::try_from(height).map_err(|_| too_big())?,
        );
        let level = |v: f32| (v.clamp(0.0, 1.0) * 255.0).round() as u8;
        let mut grey = GrayImage::from_pixel(w, h, Luma([40]));
        let mut rgb = RgbImage::from_pixel(w, h, Rgb([40; 3]));
        for (i, image) in self.values.chunks_exact(self.dim()).enumerate() {
            let x0 = BORDER + (i % self.per_row) * (self.cols + BORDER);
            let y0 = BORDER + (i / self.per_row) * (self.rows + BORDER);
            for (p, v) in image.chunks_exact(self.channels).enumerate() {
                let (x, y) = ((x0 + p % self.cols) as u32, (y0 + p / self.cols) as u32);
                match v {
                    [g] => grey.put_pixel(x, y, Luma([level(*g)])),
                    [r, g, b] => rgb.put_pixel(x, y, Rgb([level(*r), level(*g), level(*b)])),
                    _ => {}
                }
            }
        }
        Ok(if self.channels == 3 {
            DynamicImage::ImageRgb8(rgb)
        } else {
            DynamicImage::ImageLuma8(grey)
        })
    }

    /// Writes the grid as a PNG: to a temporary file, then renamed over `path`.
    pub fn write_png(&self, path: &Path) -> Result<()> {
        let img = self.render()?;
        let write_err = |why: String| VizError::Write {
            path: path.to_path_buf(),
            why,
        };
        let mut bytes = Vec::new();
        image::codecs::png::PngEncoder::new(&mut bytes)
            .write_image(
                img.as_bytes(),
                img.width(),
                img.height(),
                img.color().into(),
            )
            .map_err(|e| write_err(e.to_string()))?;
        vae_data::write_atomic(path, &bytes).map_err(|e| write_err(e.to_string()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn size_follows_from_image_shape_and_count() {
        let mut grid = Grid::new(3, 2, 4).expect("grid");
        grid.push(&[0.5; 6 * 6]).expect("six images");
        assert_eq!(grid.len(), 6);
        // 4 across, 2 down, 2-pixel borders.
        assert_eq!(grid.size(), (4 * 4 + 2, 2 * 5 + 2));
        let img = grid.render().expect("render");
        assert_eq!((img.width(), img.height()), (18, 12));
        let img = img.to_luma8();
        assert_eq!(img.get_pixel(2, 2)[0], 128);
        assert_eq!(img.get_pixel(0, 0)[0], 40, "border");
        assert!(grid.push(&[0.0; 5]).is_err(), "not whole images");
    }

    #[test]
    fn png_round_trips_and_bad_paths_leave_nothing() {
        let dir = std::env::temp_dir().join(format!("vae-viz-grid-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let mut grid = Grid::new(2, 2, 2).expect("grid");
        grid.push(&[0.0, 1.0, 0.25, 2.0, 1.0, 0.0, -1.0, 0.5])
            .expect("two images");
        let path = dir.join("g.png");
        grid.write_png(&path).expect("write");
        let back = image::open(&path).expect("decode").to_luma8();
        assert_eq!(back, grid.render().expect("render").to_luma8());
        assert_eq!(back.get_pixel(3, 2)[0], 255, "2.0 clamps to white");

        let missing = dir.join("nowhere").join("g.png");
        assert!(matches!(
            grid.write_png(&missing),
            Err(VizError::Write { .. })
        ));
        assert!(!missing.exists());
        std::fs::remove_dir_all(&dir).expect("clean");
    }

    #[test]
    fn rgb_images_keep_their_colours() {
        let mut grid = Grid::with_channels(1, 2, 3, 1).expect("grid");
        grid.push(&[1.0, 0.0, 0.0, 0.0, 0.0, 1.0])
            .expect("one image");
        let img = grid.render().expect("render").to_rgb8();
        assert_eq!(img.dimensions(), (6, 5));
        assert_eq!(img.get_pixel(2, 2).0, [255, 0, 0]);
        assert_eq!(img.get_pixel(3, 2).0, [0, 0, 255]);
        assert!(Grid::with_channels(1, 1, 2, 1).is_err());
    }
}
