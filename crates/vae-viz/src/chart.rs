//! Charts drawn with plotters into memory and written as PNG: training curves and scatter
//! plots of latent codes. Text uses the bundled DejaVu Sans, so no system fonts are needed.

use std::path::Path;
use std::sync::Once;

use image::{ImageEncoder, RgbImage};
use plotters::prelude::*;
use plotters::style::FontStyle;

use crate::{Result, VizError};

const FONT: &str = "sans-serif";

/// Tableau's 10 categorical colours: distinct, and readable on white.
const CLASS_COLOURS: [(u8, u8, u8); 10] = [
    (31, 119, 180),
    (255, 127, 14),
    (44, 160, 44),
    (214, 39, 40),
    (148, 103, 189),
    (140, 86, 75),
    (227, 119, 194),
    (127, 127, 127),
    (188, 189, 34),
    (23, 190, 207),
];

fn colour(k: usize) -> RGBColor {
    let (r, g, b) = CLASS_COLOURS[k % CLASS_COLOURS.len()];
    RGBColor(r, g, b)
}

fn register_font() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        // DejaVu Sans is a valid TrueType font; should it not be, text is simply not drawn.
        let _ = plotters::style::register_font(FONT, FontStyle::Normal, dejavu::sans::regular());
    });
}

fn draw_err<E: std::fmt::Display>(e: E) -> VizError {
    VizError::Invalid(format!("cannot draw the chart: {e}"))
}

/// Encodes an RGB buffer as PNG and writes it atomically.
fn write_rgb(buffer: Vec<u8>, (w, h): (u32, u32), path: &Path) -> Result<()> {
    let write_err = |why: String| VizError::Write {
        path: path.to_path_buf(),
        why,
    };
    let img = RgbImage::from_raw(w, h, buffer)
        .ok_or_else(|| write_err("the chart buffer has the wrong size".into()))?;
    let mut bytes = Vec::new();
    image::codecs::png::PngEncoder::new(&mut bytes)
        .write_image(img.as_raw(), w, h, image::ExtendedColorType::Rgb8)
        .map_err(|e| write_err(e.to_string()))?;
    vae_data::write_atomic(path, &bytes).map_err(|e| write_err(e.to_string()))
}

/// The range of finite `values`, padded by 5% (and widened when all are equal).
fn range(values: impl Iterator<Item = f64>) -> std::ops::Range<f64> {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return 0.0..1.0;
    }
    let pad = if hi > lo {
        (hi - lo) * 0.05
    } else {
        lo.abs().max(1.0) * 0.05
    };
    lo - pad..hi + pad
}

/// One named line of a chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// `(x, y)` points; non-finite ones are skipped.
    pub points: Vec<(f64, f64)>,
}

/// One chart of several series sharing axes.
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    /// Title above the chart.
    pub title: String,
    /// The lines.
    pub series: Vec<Series>,
}

/// Pixels per panel of [`plot_curves`].
pub const PANEL_SIZE: (u32, u32) = (480, 360);

/// Draws `panels` side by side, [`PANEL_SIZE`] each, with `x_label` under every x axis, and
/// writes the PNG. Lines carry point markers so that one-epoch runs still show.
pub fn plot_curves(panels: &[Panel], x_label: &str, path: &Path) -> Result<(u32, u32)> {
    if panels.is_empty() {
        return Err(VizError::Invalid("no curves to plot".into()));
    }
    register_font();
    let size = (PANEL_SIZE.0 * panels.len() as u32, PANEL_SIZE.1);
    let mut buffer = vec![0u8; (size.0 * size.1 * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut buffer, size).into_drawing_area();
        root.fill(&WHITE).map_err(draw_err)?;
        for (area, panel) in root.split_evenly((1, panels.len())).iter().zip(panels) {
            let points = || panel.series.iter().flat_map(|s| s.points.iter().copied());
            let (xs, ys) = (range(points().map(|p| p.0)), range(points().map(|p| p.1)));
            // The legend goes in the upper right unless the curves end up there.
            let right = xs.end - 0.3 * (xs.end - xs.start);
            let high = points()
                .filter(|p| p.0 >= right && p.1.is_finite())
                .any(|p| p.1 > ys.start + 0.6 * (ys.end - ys.start));
            let legend = if high {
                SeriesLabelPosition::LowerRight
            } else {
                SeriesLabelPosition::UpperRight
            };
            let mut chart = ChartBuilder::on(area)
                .caption(&panel.title, (FONT, 18))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(xs, ys)
                .map_err(draw_err)?;
            chart
                .configure_mesh()
                .x_desc(x_label)
                // Epochs are whole numbers: label only the ticks that fall on one.
                .x_label_formatter(&|x| {
                    if (x - x.round()).abs() < 1e-9 {
                        format!("{}", x.round())
                    } else {
                        String::new()
                    }
                })
                .label_style((FONT, 13))
                .axis_desc_style((FONT, 14))
                .light_line_style(WHITE.mix(0.0))
                .draw()
                .map_err(draw_err)?;
            for (k, series) in panel.series.iter().enumerate() {
                let c = colour(k);
                let finite: Vec<(f64, f64)> = series
                    .points
                    .iter()
                    .copied()
                    .filter(|(x, y)| x.is_finite() && y.is_finite())
                    .collect();
                chart
                    .draw_series(LineSeries::new(finite.clone(), c.stroke_width(2)))
                    .map_err(draw_err)?
                    .label(series.label.clone())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2))
                    });
                chart
                    .draw_series(finite.iter().map(|&p| Circle::new(p, 3, c.filled())))
                    .map_err(draw_err)?;
            }
            chart
                .configure_series_labels()
                .position(legend)
                .label_font((FONT, 13))
                .background_style(WHITE.mix(0.8))
                .border_style(BLACK.mix(0.5))
                .draw()
                .map_err(draw_err)?;
        }
        root.present().map_err(draw_err)?;
    }
    write_rgb(buffer, size, path)?;
    Ok(size)
}

/// A scatter plot of 2-D points, coloured by class when labels are given.
#[derive(Clone, Copy, Debug)]
pub struct Scatter<'a> {
    /// The points.
    pub points: &'a [(f32, f32)],
    /// A class per point.
    pub labels: Option<&'a [u8]>,
    /// Legend text per class (`labels` values index it); class numbers when absent.
    pub class_names: Option<&'a [String]>,
    /// Title above the plot.
    pub title: &'a str,
    /// Axis descriptions.
    pub axes: (&'a str, &'a str),
}

impl Scatter<'_> {
    /// Draws the plot at `size` pixels and writes the PNG.
    pub fn write_png(&self, size: (u32, u32), path: &Path) -> Result<()> {
        if self.points.is_empty() {
            return Err(VizError::Invalid("no points to plot".into()));
        }
        if let Some(labels) = self.labels
            && labels.len() != self.points.len()
        {
            return Err(VizError::Invalid(format!(
                "{} labels for {} points",
                labels.len(),
                self.points.len()
            )));
        }
        if size.0 < 100 || size.1 < 100 {
            return Err(VizError::Invalid(format!(
                "a {}x{} plot is too small to draw",
                size.0, size.1
            )));
        }
        register_font();
        let mut buffer = vec![0u8; (size.0 as usize) * (size.1 as usize) * 3];
        {
            let root = BitMapBackend::with_buffer(&mut buffer, size).into_drawing_area();
            root.fill(&WHITE).map_err(draw_err)?;
            let xs = self.points.iter().map(|p| f64::from(p.0));
            let ys = self.points.iter().map(|p| f64::from(p.1));
            let mut chart = ChartBuilder::on(&root)
                .caption(self.title, (FONT, 18))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(50)
                .build_cartesian_2d(range(xs), range(ys))
                .map_err(draw_err)?;
            chart
                .configure_mesh()
                .x_desc(self.axes.0)
                .y_desc(self.axes.1)
                .label_style((FONT, 13))
                .axis_desc_style((FONT, 14))
                .light_line_style(WHITE.mix(0.0))
                .draw()
                .map_err(draw_err)?;
            let point = |p: &(f32, f32)| (f64::from(p.0), f64::from(p.1));
            match self.labels {
                None => {
                    chart
                        .draw_series(
                            self.points
                                .iter()
                                .map(|p| Circle::new(point(p), 2, colour(0).mix(0.6).filled())),
                        )
                        .map_err(draw_err)?;
                }
                Some(labels) => {
                    let mut classes: Vec<u8> = labels.to_vec();
                    classes.sort_unstable();
                    classes.dedup();
                    for class in classes {
                        let c = colour(usize::from(class));
                        let name = self
                            .class_names
                            .and_then(|n| n.get(usize::from(class)))
                            .cloned()
                            .unwrap_or_else(|| class.to_string());
                        chart
                            .draw_series(
                                self.points
                                    .iter()
                                    .zip(labels)
                                    .filter(|(_, l)| **l == class)
                                    .map(|(p, _)| Circle::new(point(p), 2, c.mix(0.6).filled())),
                            )
                            .map_err(draw_err)?
                            .label(name)
                            .legend(move |(x, y)| Circle::new((x + 8, y), 4, c.filled()));
                    }
                    chart
                        .configure_series_labels()
                        .position(SeriesLabelPosition::UpperRight)
                        .label_font((FONT, 13))
                        .background_style(WHITE.mix(0.85))
                        .border_style(BLACK.mix(0.5))
                        .draw()
                        .map_err(draw_err)?;
                }
            }
            root.present().map_err(draw_err)?;
        }
        write_rgb(buffer, size, path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("vae-viz-chart-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        dir.join(name)
    }

    fn curves(shift: f64) -> Vec<Panel> {
        let line = |label: &str, f: &dyn Fn(f64) -> f64| Series {
            label: label.into(),
            points: (1..=10).map(|e| (e as f64, f(e as f64))).collect(),
        };
        vec![
            Panel {
                title: "-ELBO".into(),
                series: vec![
                    line("train", &|e| 160.0 / e + 100.0 + shift),
                    line("valid", &|e| 150.0 / e + 102.0),
                ],
            },
            Panel {
                title: "KL".into(),
                series: vec![Series {
                    label: "one point".into(),
                    points: vec![(1.0, 20.0), (2.0, f64::NAN)],
                }],
            },
        ]
    }

    #[test]
    fn curves_have_the_requested_size_and_depend_on_the_data() {
        let (a, b) = (temp("a.png"), temp("b.png"));
        assert_eq!(
            plot_curves(&curves(0.0), "epoch", &a).expect("draw"),
            (960, 360)
        );
        plot_curves(&curves(5.0), "epoch", &b).expect("draw");
        let img = image::open(&a).expect("png").to_rgb8();
        assert_eq!(img.dimensions(), (960, 360));
        let colours: std::collections::HashSet<_> = img.pixels().map(|p| p.0).collect();
        assert!(colours.len() > 20, "lines, text and axes are drawn");
        assert!(
            colours.contains(&[31, 119, 180]),
            "the first series' colour"
        );
        assert_ne!(std::fs::read(&a).expect("a"), std::fs::read(&b).expect("b"));
        let none = temp("none.png");
        assert!(plot_curves(&[], "epoch", &none).is_err());
        assert!(!none.exists());
    }

    #[test]
    fn scatter_colours_classes_and_checks_its_input() {
        let points: Vec<(f32, f32)> = (0..200)
            .map(|i| ((i as f32).sin(), (i as f32).cos()))
            .collect();
        let labels: Vec<u8> = (0..200).map(|i| (i % 10) as u8).collect();
        let path = temp("s.png");
        let plot = Scatter {
            points: &points,
            labels: Some(&labels),
            class_names: None,
            title: "latent",
            axes: ("z1", "z2"),
        };
        plot.write_png((400, 300), &path).expect("draw");
        let img = image::open(&path).expect("png").to_rgb8();
        assert_eq!(img.dimensions(), (400, 300));
        // Every class colour appears (the legend shows each at full strength).
        let colours: std::collections::HashSet<_> = img.pixels().map(|p| p.0).collect();
        for (r, g, b) in CLASS_COLOURS {
            assert!(colours.contains(&[r, g, b]), "{r},{g},{b}");
        }
        let bad = temp("bad.png");
        let wrong = Scatter {
            labels: Some(&labels[..5]),
            ..plot
        };
        assert!(wrong.write_png((400, 300), &bad).is_err());
        assert!(!bad.exists());
    }

    /// Realistic pictures to look at: `cargo test -p vae-viz -- --ignored examples`.
    #[test]
    #[ignore = "writes /tmp/chart-*.png for a person to look at"]
    fn examples() {
        let epochs = 1..=30;
        let curve = |f: &dyn Fn(f64) -> f64| -> Vec<(f64, f64)> {
            epochs.clone().map(|e| (e as f64, f(e as f64))).collect()
        };
        let panel = |title: &str, train: &dyn Fn(f64) -> f64, valid: &dyn Fn(f64) -> f64| Panel {
            title: title.into(),
            series: vec![
                Series {
                    label: "training".into(),
                    points: curve(train),
                },
                Series {
                    label: "validation".into(),
                    points: curve(valid),
                },
            ],
        };
        let panels = [
            panel(
                "−ELBO (nats per example)",
                &|e| 95.0 + 110.0 / e.sqrt(),
                &|e| 99.0 + 100.0 / e.sqrt() + 0.05 * e,
            ),
            panel(
                "reconstruction −ln p(x|z) (nats)",
                &|e| 70.0 + 120.0 / e.sqrt(),
                &|e| 74.0 + 110.0 / e.sqrt() + 0.05 * e,
            ),
            panel("KL(q(z|x) ‖ p(z)) (nats)", &|e| 25.0 - 10.0 / e, &|e| {
                25.5 - 10.0 / e
            }),
        ];
        let size =
            plot_curves(&panels, "epoch", Path::new("/tmp/chart-curves.png")).expect("curves");
        eprintln!("curves: {size:?}");

        // Ten clusters on a ring, spread deterministically.
        let mut points = Vec::new();
        let mut labels = Vec::new();
        for i in 0..3000u32 {
            let class = (i % 10) as u8;
            let angle = f32::from(class) * std::f32::consts::TAU / 10.0;
            let (u, v) = (
                (i as f32 * 0.618).fract() - 0.5,
                (i as f32 * 0.414).fract() - 0.5,
            );
            let (r1, r2) = ((u * 12.0).sin(), (v * 7.0).cos() - 0.6);
            points.push((
                2.5 * angle.cos() + r1 * 0.9,
                2.5 * angle.sin() + r2 * 1.2 + u,
            ));
            labels.push(class);
        }
        Scatter {
            points: &points,
            labels: Some(&labels),
            class_names: None,
            title: "posterior means of 3000 examples",
            axes: ("z1", "z2"),
        }
        .write_png((640, 560), Path::new("/tmp/chart-scatter.png"))
        .expect("scatter");
    }
}
