use std::path::Path;

use image::{GrayImage, ImageEncoder, Luma};

use crate::{Result, VizError};

/// Greyscale images of one shape, laid out row by row with a 2-pixel dark border between them.
#[derive(Clone, Debug)]
pub struct Grid {
    rows: usize,
    cols: usize,
    per_row: usize,
    /// Row-major values in [0, 1] (clamped), one image after another.
    values: Vec<f32>,
}

/// Pixels between neighbouring images and around the grid.
const BORDER: usize = 2;

impl Grid {
    /// An empty grid of `rows × cols` images, `per_row` to a grid row.
    pub fn new(rows: usize, cols: usize, per_row: usize) -> Result<Self> {
        if rows == 0 || cols == 0 || per_row == 0 {
            return Err(VizError::Invalid(format!(
                "a grid needs images of at least 1x1 pixels and at least one per row (got {rows}x{cols}, {per_row} per row)"
            )));
        }
        Ok(Self {
            rows,
            cols,
            per_row,
            values: Vec::new(),
        })
    }

    /// Appends images given as concatenated row-major values.
    pub fn push(&mut self, values: &[f32]) -> Result<()> {
        let dim = self.rows * self.cols;
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

    /// Images so far.
    pub fn len(&self) -> usize {
        self.values.len() / (self.rows * self.cols)
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
    pub fn render(&self) -> Result<GrayImage> {
        if self.is_empty() {
            return Err(VizError::Invalid("nothing to draw".into()));
        }
        let (width, height) = self.size();
        let too_big = || VizError::Invalid(format!("a {width}x{height} picture is too large"));
        let mut img = GrayImage::from_pixel(
            u32::try_from(width).map_err(|_| too_big())?,
            u32::try_from(height).map_err(|_| too_big())?,
            Luma([40]),
        );
        let dim = self.rows * self.cols;
        for (i, image) in self.values.chunks_exact(dim).enumerate() {
            let x0 = BORDER + (i % self.per_row) * (self.cols + BORDER);
            let y0 = BORDER + (i / self.per_row) * (self.rows + BORDER);
            for (p, v) in image.iter().enumerate() {
                let level = (v.clamp(0.0, 1.0) * 255.0).round() as u8;
                let (x, y) = (x0 + p % self.cols, y0 + p / self.cols);
                img.put_pixel(x as u32, y as u32, Luma([level]));
            }
        }
        Ok(img)
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
                img.as_raw(),
                img.width(),
                img.height(),
                image::ExtendedColorType::L8,
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
        assert_eq!(back, grid.render().expect("render"));
        assert_eq!(back.get_pixel(3, 2)[0], 255, "2.0 clamps to white");

        let missing = dir.join("nowhere").join("g.png");
        assert!(matches!(
            grid.write_png(&missing),
            Err(VizError::Write { .. })
        ));
        assert!(!missing.exists());
        std::fs::remove_dir_all(&dir).expect("clean");
    }
}
