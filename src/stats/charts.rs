//! Charts drawn on the server as SVG with `plotters` (SVG backend only, no font feature:
//! text goes out as SVG `<text>` for the browser to set, and plotters lays it out with its
//! built-in size estimate). Pages show them as they are, no JavaScript needed.

use plotters::prelude::*;

const WIDTH: u32 = 760;
const HEIGHT: u32 = 280;
const LINE: RGBColor = RGBColor(37, 99, 235);
const BAR: RGBColor = RGBColor(16, 185, 129);

/// A line over `labels` (one per x step).
pub fn line(caption: &str, labels: &[String], values: &[f64]) -> String {
    draw(|svg| {
        let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        let n = values.len().max(2);
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(30)
            .y_label_area_size(56)
            .build_cartesian_2d(0..n - 1, 0f64..top(values))?;
        chart
            .configure_mesh()
            .x_labels(8)
            .x_label_formatter(&|i| labels.get(*i).cloned().unwrap_or_default())
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()?;
        chart.draw_series(LineSeries::new(values.iter().enumerate().map(|(i, v)| (i, *v)), LINE.stroke_width(2)))?;
        root.present()?;
        Ok(())
    })
}

/// One bar per label.
pub fn bars(caption: &str, labels: &[String], values: &[f64]) -> String {
    draw(|svg| {
        let root = SVGBackend::with_string(svg, (WIDTH, HEIGHT)).into_drawing_area();
        root.fill(&WHITE)?;
        let n = values.len().max(1);
        let mut chart = ChartBuilder::on(&root)
            .caption(caption, ("sans-serif", 16))
            .margin(10)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d((0..n).into_segmented(), 0f64..top(values))?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(n.min(12))
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) => labels.get(*i).map(|l| short(l)).unwrap_or_default(),
                _ => String::new(),
            })
            .y_label_formatter(&|v| format!("{v:.0}"))
            .draw()?;
        chart.draw_series(
            values.iter().enumerate().map(|(i, v)| Rectangle::new([(SegmentValue::Exact(i), 0.0), (SegmentValue::Exact(i + 1), *v)], BAR.filled())),
        )?;
        root.present()?;
        Ok(())
    })
}

fn top(values: &[f64]) -> f64 {
    values.iter().copied().fold(0.0, f64::max).max(1.0) * 1.1
}

/// Labels under bars stay short enough not to run into each other.
fn short(label: &str) -> String {
    let chars: Vec<char> = label.chars().collect();
    if chars.len() > 8 { chars[..7].iter().collect::<String>() + "…" } else { label.to_string() }
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

fn draw(f: impl FnOnce(&mut String) -> DrawResult) -> String {
    let mut svg = String::new();
    if let Err(e) = f(&mut svg) {
        tracing::warn!(error = %e, "drawing a chart failed");
        return String::new();
    }
    svg
}

#[cfg(test)]
mod tests {
    #[test]
    fn charts_are_svg_with_their_labels() {
        let labels = vec!["09-01".to_string(), "09-02".to_string(), "09-03".to_string()];
        let svg = super::line("活跃学生", &labels, &[3.0, 5.0, 4.0]);
        assert!(svg.starts_with("<svg") && svg.contains("活跃学生") && svg.contains("09-02"), "{svg}");
        let svg = super::bars("学习时长", &labels, &[1.0, 0.0, 2.5]);
        assert!(svg.contains("<rect") && svg.contains("09-03"), "{svg}");
        assert!(super::line("空", &[], &[]).starts_with("<svg"));
    }
}
