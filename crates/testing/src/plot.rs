//! Line charts as SVG, for the benchmark plots (`make plots`): a few series of (x, y) points on a
//! log₂ or linear x axis, a linear y axis from 0, ticks at round values, a legend, dashed series
//! for extrapolations. Written by hand rather than with a plotting crate: the charts are simple,
//! and the files stay small, readable and stable across runs.

use std::fmt::Write;

/// One line of a chart.
pub struct Series {
    /// Its name in the legend.
    pub name: String,
    /// Its points, in x order.
    pub points: Vec<(f64, f64)>,
    /// Drawn dashed, without markers (an extrapolation, not a measurement).
    pub dashed: bool,
}

/// A chart.
pub struct Chart {
    /// Above the plot.
    pub title: String,
    /// Under the x axis.
    pub x_label: String,
    /// Beside the y axis.
    pub y_label: String,
    /// Whether x is on a log₂ scale (ticks at powers of two).
    pub log2_x: bool,
    /// The lines.
    pub series: Vec<Series>,
}

const WIDTH: f64 = 760.0;
const HEIGHT: f64 = 440.0;
const LEFT: f64 = 84.0;
const RIGHT: f64 = 24.0;
const TOP: f64 = 48.0;
const BOTTOM: f64 = 60.0;
const COLORS: [&str; 6] = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b"];

/// A round step for about `target` ticks over `span`.
fn step(span: f64, target: f64) -> f64 {
    let raw = span / target;
    let magnitude = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 2.5, 5.0, 10.0].iter().map(|m| m * magnitude).find(|s| *s >= raw).unwrap_or(10.0 * magnitude)
}

/// A number as a tick label: 250000 → "250k", 1.5 → "1.5".
fn label(v: f64) -> String {
    if v >= 1e6 {
        format!("{}M", trim(v / 1e6))
    } else if v >= 1e3 {
        format!("{}k", trim(v / 1e3))
    } else {
        trim(v)
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.2}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

impl Chart {
    /// The chart as an SVG document.
    pub fn svg(&self) -> String {
        let points = self.series.iter().flat_map(|s| s.points.iter().copied());
        let (mut x_min, mut x_max, mut y_max) = (f64::INFINITY, f64::NEG_INFINITY, 0f64);
        for (x, y) in points {
            x_min = x_min.min(x);
            x_max = x_max.max(x);
            y_max = y_max.max(y);
        }
        if !x_min.is_finite() {
            (x_min, x_max, y_max) = (1.0, 2.0, 1.0);
        }
        let fx = |x: f64| if self.log2_x { x.max(f64::MIN_POSITIVE).log2() } else { x };
        let (a, b) = (fx(x_min), fx(x_max).max(fx(x_min) + 1e-9));
        let y_step = step(y_max.max(1e-9), 5.0);
        let y_top = (y_max / y_step).ceil() * y_step;
        let (pw, ph) = (WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM);
        let px = |x: f64| LEFT + (fx(x) - a) / (b - a) * pw;
        let py = |y: f64| TOP + ph - y / y_top * ph;

        let mut out = String::new();
        let _ = writeln!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" font-family=\"Helvetica, Arial, sans-serif\" font-size=\"12\">"
        );
        let _ = writeln!(out, "<rect width=\"100%\" height=\"100%\" fill=\"white\"/>");
        let _ = writeln!(out, "<text x=\"{}\" y=\"24\" font-size=\"15\" text-anchor=\"middle\">{}</text>", WIDTH / 2.0, escape(&self.title));
        // Grid and y ticks.
        let mut y = 0.0;
        while y <= y_top + y_step / 2.0 {
            let v = py(y);
            let _ = writeln!(out, "<line x1=\"{LEFT}\" y1=\"{v:.1}\" x2=\"{:.1}\" y2=\"{v:.1}\" stroke=\"#e5e5e5\"/>", LEFT + pw);
            let _ = writeln!(out, "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>", LEFT - 6.0, v + 4.0, label(y));
            y += y_step;
        }
        // x ticks.
        let ticks: Vec<f64> = if self.log2_x {
            (a.floor() as i32..=b.ceil() as i32).map(|e| 2f64.powi(e)).filter(|t| fx(*t) >= a - 1e-9 && fx(*t) <= b + 1e-9).collect()
        } else {
            let s = step(b - a, 6.0);
            let mut t = (a / s).ceil() * s;
            let mut v = Vec::new();
            while t <= b + 1e-9 {
                v.push(t);
                t += s;
            }
            v
        };
        for t in ticks {
            let v = px(t);
            let _ = writeln!(out, "<line x1=\"{v:.1}\" y1=\"{TOP}\" x2=\"{v:.1}\" y2=\"{:.1}\" stroke=\"#f0f0f0\"/>", TOP + ph);
            let _ = writeln!(out, "<text x=\"{v:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>", TOP + ph + 18.0, label(t));
        }
        let _ = writeln!(out, "<rect x=\"{LEFT}\" y=\"{TOP}\" width=\"{pw}\" height=\"{ph}\" fill=\"none\" stroke=\"#444\"/>");
        let _ = writeln!(out, "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>", LEFT + pw / 2.0, HEIGHT - 16.0, escape(&self.x_label));
        let _ = writeln!(
            out,
            "<text transform=\"translate(18 {:.1}) rotate(-90)\" text-anchor=\"middle\">{}</text>",
            TOP + ph / 2.0,
            escape(&self.y_label)
        );
        // Series and legend.
        for (i, s) in self.series.iter().enumerate() {
            let color = COLORS[i % COLORS.len()];
            let path: Vec<String> = s.points.iter().map(|(x, y)| format!("{:.1},{:.1}", px(*x), py(*y))).collect();
            let dash = if s.dashed { " stroke-dasharray=\"6 4\"" } else { "" };
            let _ = writeln!(out, "<polyline points=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\"{dash}/>", path.join(" "));
            if !s.dashed {
                for (x, y) in &s.points {
                    let _ = writeln!(out, "<circle cx=\"{:.1}\" cy=\"{:.1}\" r=\"3.5\" fill=\"{color}\"/>", px(*x), py(*y));
                }
            }
            let ly = TOP + 16.0 + 18.0 * i as f64;
            let lx = LEFT + pw - 250.0;
            let _ = writeln!(out, "<line x1=\"{lx}\" y1=\"{ly}\" x2=\"{}\" y2=\"{ly}\" stroke=\"{color}\" stroke-width=\"2\"{dash}/>", lx + 24.0);
            let _ = writeln!(out, "<text x=\"{}\" y=\"{}\">{}</text>", lx + 30.0, ly + 4.0, escape(&s.name));
        }
        out.push_str("</svg>\n");
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_has_its_series_ticks_and_legend() {
        let chart = Chart {
            title: "t <1>".into(),
            x_label: "N".into(),
            y_label: "gas".into(),
            log2_x: true,
            series: vec![
                Series { name: "a".into(), points: vec![(1.0, 250_000.0), (8.0, 60_000.0)], dashed: false },
                Series { name: "b".into(), points: vec![(2.0, 10.0), (32.0, 5.0)], dashed: true },
            ],
        };
        let svg = chart.svg();
        assert!(svg.starts_with("<svg") && svg.ends_with("</svg>\n"));
        assert!(svg.contains("t &lt;1&gt;"), "the title, escaped");
        assert_eq!(svg.matches("<polyline").count(), 2);
        assert_eq!(svg.matches("<circle").count(), 2, "markers on measured series only");
        assert!(svg.contains("stroke-dasharray"));
        for tick in [">1<", ">2<", ">4<", ">8<", ">16<", ">32<", ">250k<"] {
            assert!(svg.contains(tick), "tick {tick}");
        }
        assert_eq!(label(1_500_000.0), "1.5M");
        assert_eq!(step(260_000.0, 5.0), 100_000.0);
    }
}
