//! Charts drawn with plotters into memory and written as PNG: training curves and scatter
//! plots of latent codes. Text uses the bundled DejaVu Sans, so no system fonts are needed.

use std::path::Path;
use std::sync::Once;

use image::{ImageEncoder, RgbImage};
use plotters::prelude::*;
use plotters::style::FontStyle;
use plotters::style::text_anchor::{HPos, Pos, VPos};

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

/// Sides, in pixels, a chart may have: below the minimum the axes and text leave no room for
/// data; the maximum keeps a mistyped size from allocating gigabytes.
const SIDES: std::ops::RangeInclusive<u32> = 100..=16_384;

/// A white RGB buffer of `size`, once the size is known to be drawable.
fn canvas((w, h): (u32, u32)) -> Result<Vec<u8>> {
    if !SIDES.contains(&w) || !SIDES.contains(&h) {
        return Err(VizError::Invalid(format!(
            "cannot draw a {w}x{h} chart: each side must be {} to {} pixels",
            SIDES.start(),
            SIDES.end()
        )));
    }
    Ok(vec![255; w as usize * h as usize * 3])
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

/// A tick label with the decimals an axis of this `span` needs and no trailing zeros, so
/// "200" rather than "200.0" but "0.005" where the ticks are that close.
fn tick_label(value: f64, span: f64) -> String {
    let decimals = (3 - span.log10().floor() as i64).clamp(0, 12) as usize;
    let text = format!("{value:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.')
    } else {
        &text
    };
    if text == "-0" { "0" } else { text }.to_string()
}

/// One named line of a chart.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// Legend text.
    pub label: String,
    /// `(x, y)` points; non-finite ones are skipped.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    fn finite(&self) -> Vec<(f64, f64)> {
        self.points
            .iter()
            .copied()
            .filter(|(x, y)| x.is_finite() && y.is_finite())
            .collect()
    }
}

/// One chart of several series sharing axes.
#[derive(Clone, Debug, PartialEq)]
pub struct Panel {
    /// Title above the chart.
    pub title: String,
    /// The lines.
    pub series: Vec<Series>,
}

/// The corner of the plot that the lines cross least, so the legend hides as little as
/// possible. `legend` is the legend's size as a fraction of the plot's.
fn legend_corner(
    lines: &[Vec<(f64, f64)>],
    (xs, ys): (&std::ops::Range<f64>, &std::ops::Range<f64>),
    legend: (f64, f64),
) -> SeriesLabelPosition {
    // Points along every segment, in [0, 1]² plot coordinates.
    let unit = |(x, y): (f64, f64)| {
        (
            (x - xs.start) / (xs.end - xs.start),
            (y - ys.start) / (ys.end - ys.start),
        )
    };
    let mut samples = Vec::new();
    for line in lines {
        samples.extend(line.iter().map(|&p| unit(p)));
        for pair in line.windows(2) {
            let (a, b) = (unit(pair[0]), unit(pair[1]));
            samples.extend((1..16).map(|i| {
                let t = f64::from(i) / 16.0;
                (a.0 + t * (b.0 - a.0), a.1 + t * (b.1 - a.1))
            }));
        }
    }
    let (w, h) = (legend.0 + 0.05, legend.1 + 0.05);
    let corners = [
        (SeriesLabelPosition::UpperRight, true, true),
        (SeriesLabelPosition::LowerRight, true, false),
        (SeriesLabelPosition::UpperLeft, false, true),
        (SeriesLabelPosition::LowerLeft, false, false),
    ];
    let crossing = |right: bool, upper: bool| {
        samples
            .iter()
            .filter(|(u, v)| {
                (if right { *u >= 1.0 - w } else { *u <= w })
                    && (if upper { *v >= 1.0 - h } else { *v <= h })
            })
            .count()
    };
    let mut best = (SeriesLabelPosition::UpperRight, usize::MAX);
    for (corner, right, upper) in corners {
        let n = crossing(right, upper);
        if n < best.1 {
            best = (corner, n);
        }
    }
    best.0
}

/// Pixels per panel of [`plot_curves`].
pub const PANEL_SIZE: (u32, u32) = (480, 360);

/// [`plot_curves_sized`] at [`PANEL_SIZE`] per panel.
pub fn plot_curves(panels: &[Panel], x_label: &str, path: &Path) -> Result<(u32, u32)> {
    plot_curves_sized(panels, x_label, PANEL_SIZE, path)
}

/// Draws `panels` side by side, `panel_size` pixels each, with `x_label` under every x axis,
/// writes the PNG and returns its size. Lines carry point markers so that one-epoch runs still
/// show; a panel without finite points draws empty axes.
pub fn plot_curves_sized(
    panels: &[Panel],
    x_label: &str,
    panel_size: (u32, u32),
    path: &Path,
) -> Result<(u32, u32)> {
    if panels.is_empty() {
        return Err(VizError::Invalid("no curves to plot".into()));
    }
    if !SIDES.contains(&panel_size.0) {
        return Err(VizError::Invalid(format!(
            "cannot draw {}-pixel-wide panels: they need {} to {} pixels",
            panel_size.0,
            SIDES.start(),
            SIDES.end()
        )));
    }
    let size = (
        u32::try_from(panels.len())
            .ok()
            .and_then(|n| n.checked_mul(panel_size.0))
            .unwrap_or(u32::MAX),
        panel_size.1,
    );
    let mut buffer = canvas(size)?;
    register_font();
    {
        let root = BitMapBackend::with_buffer(&mut buffer, size).into_drawing_area();
        for (area, panel) in root.split_evenly((1, panels.len())).iter().zip(panels) {
            let lines: Vec<Vec<(f64, f64)>> = panel.series.iter().map(Series::finite).collect();
            let all = || lines.iter().flatten();
            let (xs, ys) = (range(all().map(|p| p.0)), range(all().map(|p| p.1)));
            let (x_span, y_span) = (xs.end - xs.start, ys.end - ys.start);
            // Epochs are whole numbers: then label only the ticks that fall on one.
            let whole = all().all(|p| p.0 == p.0.round());
            let mut chart = ChartBuilder::on(area)
                .caption(&panel.title, (FONT, 18))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(60)
                .build_cartesian_2d(xs.clone(), ys.clone())
                .map_err(draw_err)?;
            chart
                .configure_mesh()
                .x_desc(x_label)
                .x_label_formatter(&|x| {
                    if !whole {
                        tick_label(*x, x_span)
                    } else if (x - x.round()).abs() < 1e-9 {
                        tick_label(x.round(), x_span)
                    } else {
                        String::new()
                    }
                })
                .y_label_formatter(&|y| tick_label(*y, y_span))
                .label_style((FONT, 13))
                .axis_desc_style((FONT, 14))
                .light_line_style(WHITE.mix(0.0))
                .draw()
                .map_err(draw_err)?;
            for (k, (series, line)) in panel.series.iter().zip(&lines).enumerate() {
                let c = colour(k);
                chart
                    .draw_series(LineSeries::new(line.clone(), c.stroke_width(2)))
                    .map_err(draw_err)?
                    .label(series.label.clone())
                    .legend(move |(x, y)| {
                        PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2))
                    });
                chart
                    .draw_series(line.iter().map(|&p| Circle::new(p, 3, c.filled())))
                    .map_err(draw_err)?;
            }
            // The legend's size as plotters lays it out: a 20-pixel sample, text, 5-pixel
            // margins, one row per series.
            let style = TextStyle::from((FONT, 13).into_font());
            let mut text = (0u32, 0u32);
            for series in &panel.series {
                let (w, h) = area
                    .estimate_text_size(&series.label, &style)
                    .map_err(draw_err)?;
                text = (text.0.max(w), text.1 + h + 5);
            }
            let (pw, ph) = chart.plotting_area().dim_in_pixel();
            let legend = (
                f64::from(text.0 + 40) / f64::from(pw.max(1)),
                f64::from(text.1 + 10) / f64::from(ph.max(1)),
            );
            chart
                .configure_series_labels()
                .position(legend_corner(&lines, (&xs, &ys), legend))
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
    /// The points; non-finite ones are skipped.
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
    /// Draws the plot at exactly `size` pixels and writes the PNG. The legend of classes sits
    /// right of the axes, where it cannot hide points.
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
        let mut buffer = canvas(size)?;
        register_font();
        {
            let root = BitMapBackend::with_buffer(&mut buffer, size).into_drawing_area();
            let font = TextStyle::from((FONT, 13).into_font());
            let mut entries: Vec<(String, RGBColor)> = Vec::new();
            if let Some(labels) = self.labels {
                let mut classes = labels.to_vec();
                classes.sort_unstable();
                classes.dedup();
                entries = classes
                    .into_iter()
                    .map(|class| {
                        let name = self
                            .class_names
                            .and_then(|n| n.get(usize::from(class)))
                            .cloned()
                            .unwrap_or_else(|| class.to_string());
                        (name, colour(usize::from(class)))
                    })
                    .collect();
            }
            let mut legend_width = 0;
            for (name, _) in &entries {
                let (w, _) = root.estimate_text_size(name, &font).map_err(draw_err)?;
                legend_width = legend_width.max(w + 34);
            }
            let legend_width = legend_width.min(size.0 / 3);
            let (plot, legend) = root.split_horizontally(size.0 - legend_width);

            // Points drawn in input order, so no class is buried under all the others.
            let (points, classes): (Vec<(f64, f64)>, Vec<usize>) = self
                .points
                .iter()
                .enumerate()
                .filter(|(_, p)| p.0.is_finite() && p.1.is_finite())
                .map(|(i, p)| {
                    let class = self.labels.map_or(0, |l| usize::from(l[i]));
                    ((f64::from(p.0), f64::from(p.1)), class)
                })
                .unzip();
            let (xs, ys) = (
                range(points.iter().map(|p| p.0)),
                range(points.iter().map(|p| p.1)),
            );
            let (x_span, y_span) = (xs.end - xs.start, ys.end - ys.start);
            let mut chart = ChartBuilder::on(&plot)
                .caption(self.title, (FONT, 18))
                .margin(12)
                .x_label_area_size(40)
                .y_label_area_size(56)
                .build_cartesian_2d(xs, ys)
                .map_err(draw_err)?;
            chart
                .configure_mesh()
                .x_desc(self.axes.0)
                .y_desc(self.axes.1)
                .x_label_formatter(&|x| tick_label(*x, x_span))
                .y_label_formatter(&|y| tick_label(*y, y_span))
                .label_style((FONT, 13))
                .axis_desc_style((FONT, 14))
                .light_line_style(WHITE.mix(0.0))
                .draw()
                .map_err(draw_err)?;
            // Smaller dots where there are many, so clusters keep their shape.
            let radius = if points.len() > 2000 { 2 } else { 3 };
            chart
                .draw_series(
                    points
                        .iter()
                        .zip(&classes)
                        .map(|(&p, &k)| Circle::new(p, radius, colour(k).mix(0.6).filled())),
                )
                .map_err(draw_err)?;

            // One row per class, from the top of the axes down, as far as there is room.
            let top = chart.plotting_area().get_pixel_range().1.start;
            let text = font.pos(Pos::new(HPos::Left, VPos::Center));
            for (row, (name, c)) in entries.iter().enumerate() {
                let y = top + 8 + 18 * row as i32;
                if y + 8 > size.1 as i32 {
                    break;
                }
                legend
                    .draw(&Circle::new((8, y), 4, c.filled()))
                    .map_err(draw_err)?;
                legend
                    .draw(&Text::new(name.as_str(), (18, y), &text))
                    .map_err(draw_err)?;
            }
            root.present().map_err(draw_err)?;
        }
        write_rgb(buffer, size, path)
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    /// A [`Scatter`] with class numbers as legend text.
    fn scatter(
        points: &[(f32, f32)],
        labels: Option<&[u8]>,
        x_label: &str,
        y_label: &str,
        title: &str,
        path: &Path,
        size: (u32, u32),
    ) -> Result<()> {
        Scatter {
            points,
            labels,
            class_names: None,
            title,
            axes: (x_label, y_label),
        }
        .write_png(size, path)
    }

    fn temp(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("vae-viz-chart-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        dir.join(name)
    }

    /// The decoded PNG's size and how many distinct colours it holds.
    fn decoded(path: &Path) -> ((u32, u32), HashSet<[u8; 3]>) {
        let img = image::open(path).expect("png").to_rgb8();
        (img.dimensions(), img.pixels().map(|p| p.0).collect())
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
            Panel {
                title: "nothing finite".into(),
                series: vec![
                    Series {
                        label: "empty".into(),
                        points: Vec::new(),
                    },
                    Series {
                        label: "NaN".into(),
                        points: vec![(f64::NAN, 1.0), (2.0, f64::INFINITY)],
                    },
                ],
            },
        ]
    }

    #[test]
    fn curves_have_the_requested_size_and_depend_on_the_data() {
        let (a, b) = (temp("a.png"), temp("b.png"));
        assert_eq!(
            plot_curves(&curves(0.0), "epoch", &a).expect("draw"),
            (1440, 360)
        );
        let (size, colours) = decoded(&a);
        assert_eq!(size, (1440, 360));
        assert!(colours.len() > 20, "lines, text and axes are drawn");
        assert!(
            colours.contains(&[31, 119, 180]),
            "the first series' colour"
        );

        assert_eq!(
            plot_curves_sized(&curves(5.0), "epoch", (301, 257), &b).expect("draw"),
            (903, 257)
        );
        assert_eq!(decoded(&b).0, (903, 257));
        plot_curves(&curves(5.0), "epoch", &b).expect("draw");
        assert_ne!(std::fs::read(&a).expect("a"), std::fs::read(&b).expect("b"));

        let none = temp("none.png");
        assert!(matches!(
            plot_curves(&[], "epoch", &none),
            Err(VizError::Invalid(_))
        ));
        assert!(plot_curves_sized(&curves(0.0), "epoch", (40, 300), &none).is_err());
        assert!(plot_curves_sized(&curves(0.0), "epoch", (300, 20_000), &none).is_err());
        let many = vec![curves(0.0).remove(0); 200];
        assert!(plot_curves(&many, "epoch", &none).is_err(), "too wide");
        assert!(!none.exists());
    }

    fn ring(n: usize, turn: f32) -> (Vec<(f32, f32)>, Vec<u8>) {
        (0..n)
            .map(|i| {
                let t = i as f32 + turn;
                (t.sin() * (1.0 + t / 100.0), t.cos())
            })
            .zip((0..n).map(|i| (i % 10) as u8))
            .unzip()
    }

    #[test]
    fn scatter_colours_classes_and_checks_its_input() {
        let (mut points, labels) = ring(200, 0.0);
        points[3] = (f32::NAN, 0.0);
        let path = temp("s.png");
        let plot = Scatter {
            points: &points,
            labels: Some(&labels),
            class_names: None,
            title: "latent",
            axes: ("z1", "z2"),
        };
        plot.write_png((401, 299), &path).expect("draw");
        let (size, colours) = decoded(&path);
        assert_eq!(size, (401, 299));
        // Every class colour appears: at full strength in the legend, and 60% over white in the
        // points left of it.
        let img = image::open(&path).expect("png").to_rgb8();
        let over_white = |c: u8| (0.6 * f64::from(c) + 0.4 * 255.0).round();
        for (r, g, b) in CLASS_COLOURS {
            assert!(colours.contains(&[r, g, b]), "{r},{g},{b}");
            let point = [over_white(r), over_white(g), over_white(b)];
            assert!(
                img.enumerate_pixels().any(|(x, _, p)| {
                    x < 300
                        && p.0
                            .iter()
                            .zip(point)
                            .all(|(&v, w)| (f64::from(v) - w).abs() <= 2.0)
                }),
                "a point of class {r},{g},{b}"
            );
        }

        // Unlabelled points take one colour; other points give another picture.
        let other = temp("t.png");
        let (turned, _) = ring(200, 0.5);
        scatter(&turned, None, "z1", "z2", "latent", &other, (401, 299)).expect("draw");
        let (size, colours) = decoded(&other);
        assert_eq!(size, (401, 299));
        assert!(colours.len() > 10, "points, text and axes are drawn");
        assert!(!colours.contains(&[255, 127, 14]), "no second class colour");
        assert_ne!(
            std::fs::read(&path).expect("s"),
            std::fs::read(&other).expect("t")
        );

        let bad = temp("bad.png");
        let wrong = Scatter {
            labels: Some(&labels[..5]),
            ..plot
        };
        assert!(matches!(
            wrong.write_png((400, 300), &bad),
            Err(VizError::Invalid(_))
        ));
        assert!(scatter(&points, Some(&labels[1..]), "x", "y", "t", &bad, (400, 300)).is_err());
        assert!(scatter(&[], None, "x", "y", "t", &bad, (400, 300)).is_err());
        assert!(scatter(&points, None, "x", "y", "t", &bad, (400, 99)).is_err());
        assert!(!bad.exists());
    }

    #[test]
    fn tick_labels_drop_needless_decimals() {
        assert_eq!(tick_label(200.0, 120.0), "200");
        assert_eq!(tick_label(2.5, 7.0), "2.5");
        assert_eq!(tick_label(0.005, 0.02), "0.005");
        assert_eq!(tick_label(0.1 + 0.2, 1.0), "0.3");
        assert_eq!(tick_label(-1e-17, 1.0), "0");
    }

    #[test]
    fn the_legend_goes_where_the_lines_are_not() {
        let (xs, ys) = (0.0..1.0, 0.0..1.0);
        let size = (0.3, 0.2);
        let falling = vec![vec![(0.0, 1.0), (0.2, 0.3), (1.0, 0.1)]];
        let rising = vec![vec![(0.0, 0.0), (0.2, 0.7), (1.0, 0.9)]];
        let corner = |lines: &[Vec<(f64, f64)>]| legend_corner(lines, (&xs, &ys), size);
        assert!(matches!(corner(&falling), SeriesLabelPosition::UpperRight));
        assert!(matches!(corner(&rising), SeriesLabelPosition::LowerRight));
        let both = [falling[0].clone(), rising[0].clone()];
        assert!(matches!(corner(&both), SeriesLabelPosition::UpperLeft));
    }
}
