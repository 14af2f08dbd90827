//! Charts drawn with plotters (SVG backend, no system fonts: the browser sets the text).
//!
//! - [`latency_cdf`]: the latency distribution of each mode, log-scale x axis.
//! - [`speedup_bars`]: speedup against per-call per mode and transport, with the published
//!   pool's 6.2x / 20.7x as reference lines on the `vmx` profile (the only one they compare
//!   with: they were measured on real vMX routers).
//! - [`scaling`]: the scaling sweep, throughput and p99 against devices, a line per
//!   concurrency.
//! - [`chaos_times`]: time to detect the fault and to recover from it, per scenario.
//!
//! Each chart keeps its legend in a column of its own beside the plot, so that no label
//! runs off the edge or over the data.

use plotters::coord::ranged1d::SegmentedCoord;
use plotters::coord::types::RangedCoordusize;
use plotters::coord::Shift;
use plotters::prelude::*;

use crate::html::Chart;
use crate::report::BenchReport;
use crate::scale::SweepRow;

/// The published pool's speedups (junos-mcp-server PR 27, PyEZ on 5 vMX routers).
pub const PUBLISHED: [(&str, f64); 2] =
    [("published seq 6.2x", 6.2), ("published par 20.7x", 20.7)];

const COLORS: [RGBColor; 10] = [
    RGBColor(31, 119, 180),
    RGBColor(214, 39, 40),
    RGBColor(44, 160, 44),
    RGBColor(255, 127, 14),
    RGBColor(148, 103, 189),
    RGBColor(140, 86, 75),
    RGBColor(227, 119, 194),
    RGBColor(23, 190, 207),
    RGBColor(127, 127, 127),
    RGBColor(188, 189, 34),
];

const W: u32 = 960;
const H: u32 = 520;
/// Width of the plot; the rest is the legend column.
const PLOT_W: u32 = 680;
const FONT: &str = "sans-serif";

fn err(e: impl std::fmt::Display) -> String {
    format!("drawing a chart: {e}")
}

fn color(i: usize) -> RGBColor {
    COLORS[i % COLORS.len()]
}

/// A duration in milliseconds as an axis label: 100us, 1ms, 10ms, 1s.
pub fn fmt_ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{}s", trim(v / 1000.0))
    } else if v >= 1.0 {
        format!("{}ms", trim(v))
    } else {
        format!("{}us", trim(v * 1000.0))
    }
}

fn trim(v: f64) -> String {
    let s = format!("{v:.1}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}

/// Legend entries in the column right of the plot: a swatch and a label each.
fn legend(
    area: &DrawingArea<SVGBackend<'_>, Shift>,
    title: &str,
    entries: &[(String, RGBColor, bool)],
) -> Result<(), String> {
    area.draw(&Text::new(
        title.to_string(),
        (8, 44),
        (FONT, 14).into_font().style(FontStyle::Bold),
    ))
    .map_err(err)?;
    for (i, (label, c, bar)) in entries.iter().enumerate() {
        let y = 70 + 22 * i as i32;
        if *bar {
            area.draw(&Rectangle::new([(8, y - 6), (26, y + 6)], c.filled()))
                .map_err(err)?;
        } else {
            area.draw(&PathElement::new(vec![(8, y), (26, y)], c.stroke_width(3)))
                .map_err(err)?;
        }
        // 40 characters fit the column at 13 px.
        let mut text = label.clone();
        if text.chars().count() > 40 {
            text = text.chars().take(39).collect::<String>() + "…";
        }
        area.draw(&Text::new(text, (32, y - 7), (FONT, 13)))
            .map_err(err)?;
    }
    Ok(())
}

/// Draw the legend, write the chart out, and give the legend's labels.
fn finish(
    root: &DrawingArea<SVGBackend<'_>, Shift>,
    side: &DrawingArea<SVGBackend<'_>, Shift>,
    title: &str,
    entries: Vec<(String, RGBColor, bool)>,
) -> Result<Vec<String>, String> {
    legend(side, title, &entries)?;
    root.present().map_err(err)?;
    Ok(entries.into_iter().map(|e| e.0).collect())
}

/// A chart with a row per name, top to bottom, against a log-scale x axis.
type RowChart<'a, 'b> =
    ChartContext<'a, SVGBackend<'b>, Cartesian2d<LogCoord<f64>, SegmentedCoord<RangedCoordusize>>>;

fn rows_chart<'a, 'b>(
    area: &'a DrawingArea<SVGBackend<'b>, Shift>,
    caption: &str,
    x: std::ops::Range<f64>,
    names: &[String],
    x_desc: &str,
    x_label: &dyn Fn(&f64) -> String,
) -> Result<RowChart<'a, 'b>, String> {
    let n = names.len().max(1);
    let mut chart = ChartBuilder::on(area)
        .caption(caption, (FONT, 17))
        .margin(14)
        .x_label_area_size(44)
        .y_label_area_size(190)
        .build_cartesian_2d(x.log_scale(), (0..n - 1).into_segmented())
        .map_err(err)?;
    chart
        .configure_mesh()
        .x_desc(x_desc)
        .x_label_formatter(x_label)
        .y_labels(n)
        .y_label_formatter(&|y| match y {
            SegmentValue::CenterOf(i) => names
                .get(n - 1 - (*i).min(n - 1))
                .cloned()
                .unwrap_or_default(),
            _ => String::new(),
        })
        .disable_y_mesh()
        .light_line_style(RGBColor(238, 238, 238))
        .draw()
        .map_err(err)?;
    Ok(chart)
}

/// A bar in row `y` of a [`RowChart`] from `from` to `to`, inset by (top, bottom) pixels.
fn row_bar(
    y: usize,
    from: f64,
    to: f64,
    c: RGBColor,
    (top, bottom): (u32, u32),
) -> Rectangle<(f64, SegmentValue<usize>)> {
    let mut bar = Rectangle::new(
        [
            (from, SegmentValue::Exact(y)),
            (to.max(from), SegmentValue::Exact(y + 1)),
        ],
        c.filled(),
    );
    bar.set_margin(top, bottom, 0, 0);
    bar
}

/// The latency CDF of each mode of a bench run.
pub fn latency_cdf(r: &BenchReport) -> Result<Chart, String> {
    let modes: Vec<_> = r
        .modes
        .iter()
        .filter(|m| !m.samples_ms.is_empty())
        .collect();
    let all = modes
        .iter()
        .flat_map(|m| m.samples_ms.iter().copied())
        .filter(|v| *v > 0.0);
    let (lo, hi) = all.fold((f64::INFINITY, 0f64), |(a, b), v| (a.min(v), b.max(v)));
    if modes.is_empty() || !lo.is_finite() {
        return Err("no latency samples to chart".into());
    }
    let lo = 10f64.powf(lo.log10().floor());
    let hi = 10f64.powf(hi.log10().ceil()).max(lo * 10.0);
    let mut svg = String::new();
    let names: Vec<String>;
    {
        let root = SVGBackend::with_string(&mut svg, (W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let (plot, side) = root.split_horizontally(PLOT_W);
        let mut chart = ChartBuilder::on(&plot)
            .caption(
                format!(
                    "Latency per operation: {} profile, {} routers",
                    r.profile, r.routers
                ),
                (FONT, 17),
            )
            .margin(14)
            .x_label_area_size(44)
            .y_label_area_size(56)
            .build_cartesian_2d((lo..hi).log_scale(), 0f64..1f64)
            .map_err(err)?;
        chart
            .configure_mesh()
            .x_desc("milliseconds per operation (log scale)")
            .y_desc("share of operations at or below")
            .x_label_formatter(&|v| fmt_ms(*v))
            .y_labels(6)
            .y_label_formatter(&|q| format!("{:.0}%", q * 100.0))
            .light_line_style(RGBColor(238, 238, 238))
            .draw()
            .map_err(err)?;
        let mut entries = Vec::new();
        for (i, m) in modes.iter().enumerate() {
            let mut v = m.samples_ms.clone();
            v.sort_by(f64::total_cmp);
            let n = v.len() as f64;
            let pts = v
                .iter()
                .enumerate()
                .map(|(k, ms)| (ms.max(lo), (k + 1) as f64 / n));
            chart
                .draw_series(LineSeries::new(pts, color(i).stroke_width(2)))
                .map_err(err)?;
            entries.push((
                format!("{} {} (p50 {})", m.transport, m.mode, fmt_ms(m.p50_ms)),
                color(i),
                false,
            ));
        }
        names = finish(&root, &side, "mode (median)", entries)?;
    }
    Ok(Chart {
        plot_width: PLOT_W,
        kind: "cdf",
        caption: format!(
            "Per-operation latency of each mode ({} profile, {} routers, workload {}): the share of operations that took at most x.",
            r.profile, r.routers, r.workload
        ),
        svg,
        axes: vec![
            "milliseconds per operation (log scale)".into(),
            "share of operations at or below".into(),
        ],
        legend: names,
    })
}

/// Speedup against per-call, a bar per mode and transport (log scale), with the published
/// pool's figures as reference lines on the `vmx` profile. On another profile (`instant`
/// measures software cost alone) they would compare our figures with a real vMX lab's, so
/// they are left out and the caption says why.
pub fn speedup_bars(r: &BenchReport) -> Result<Chart, String> {
    let refs: &[(&str, f64)] = if r.profile == "vmx" { &PUBLISHED } else { &[] };
    let bars: Vec<(String, f64, usize)> = r
        .speedup_by_transport
        .iter()
        .enumerate()
        .flat_map(|(ti, (t, modes))| {
            r.modes
                .iter()
                .filter(move |m| &m.transport == t)
                .filter_map(move |m| {
                    modes
                        .get(&m.mode)
                        .map(|s| (format!("{t} {}", m.mode), *s, ti))
                })
        })
        .collect();
    if bars.is_empty() {
        return Err("no speedups to chart (a mode failed, or per-call did not run)".into());
    }
    let top = bars
        .iter()
        .map(|b| b.1)
        .chain(refs.iter().map(|p| p.1))
        .fold(1.0, f64::max);
    let hi = 10f64.powf(top.log10().ceil()).max(10.0);
    let n = bars.len();
    let mut svg = String::new();
    let names: Vec<String>;
    {
        let root = SVGBackend::with_string(&mut svg, (W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let (plot, side) = root.split_horizontally(PLOT_W);
        let labels: Vec<String> = bars.iter().map(|b| b.0.clone()).collect();
        let mut chart = rows_chart(
            &plot,
            &format!(
                "Speedup against a new session per call: {} profile",
                r.profile
            ),
            0.5..hi,
            &labels,
            "times faster than per-call (log scale)",
            &|v| format!("{}x", trim(*v)),
        )?;
        chart
            .draw_series(
                bars.iter()
                    .enumerate()
                    .map(|(i, (_, s, t))| row_bar(n - 1 - i, 0.5, *s, color(*t), (4, 4))),
            )
            .map_err(err)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(i, (_, s, _))| {
                Text::new(
                    format!("{}x", trim(*s)),
                    (s.max(0.5) * 1.08, SegmentValue::CenterOf(n - 1 - i)),
                    (FONT, 12),
                )
            }))
            .map_err(err)?;
        for (k, (_, v)) in refs.iter().enumerate() {
            chart
                .draw_series(LineSeries::new(
                    vec![(*v, SegmentValue::Exact(0)), (*v, SegmentValue::Last)],
                    color(8 + k).stroke_width(2),
                ))
                .map_err(err)?;
        }
        let mut entries: Vec<(String, RGBColor, bool)> = r
            .speedup_by_transport
            .keys()
            .enumerate()
            .map(|(i, t)| (t.clone(), color(i), true))
            .collect();
        entries.extend(
            refs.iter()
                .enumerate()
                .map(|(k, (name, _))| (name.to_string(), color(8 + k), false)),
        );
        let title = if refs.is_empty() {
            "transport"
        } else {
            "transport / reference"
        };
        names = finish(&root, &side, title, entries)?;
    }
    Ok(Chart {
        plot_width: PLOT_W,
        kind: "speedup",
        caption: if refs.is_empty() {
            format!(
                "Total time of per-call divided by each mode's, per transport ({} profile). The published Python pool's 6.2x / 20.7x are drawn on the vmx profile only: they were measured on real vMX routers.",
                r.profile
            )
        } else {
            format!(
                "Total time of per-call divided by each mode's, per transport ({} profile); the lines are the published Python pool's 6.2x sequential and 20.7x parallel (PyEZ on 5 vMX routers).",
                r.profile
            )
        },
        svg,
        axes: vec!["times faster than per-call (log scale)".into()],
        legend: names,
    })
}

/// The scaling sweep: throughput (left) and p99 (right) against devices, a line per
/// concurrency.
pub fn scaling(rows: &[SweepRow]) -> Result<Chart, String> {
    if rows.is_empty() {
        return Err("no sweep rows to chart".into());
    }
    let mut conc: Vec<usize> = rows.iter().map(|r| r.concurrency).collect();
    conc.sort_unstable();
    conc.dedup();
    let dmax = rows.iter().map(|r| r.devices).max().unwrap_or(1).max(10) as f64;
    let tmax = rows.iter().map(|r| r.throughput).fold(1.0, f64::max);
    let pmin = rows
        .iter()
        .map(|r| r.p99_ms)
        .filter(|v| *v > 0.0)
        .fold(f64::INFINITY, f64::min);
    let pmax = rows.iter().map(|r| r.p99_ms).fold(0.0, f64::max);
    let (plo, phi) = if pmin.is_finite() {
        (
            10f64.powf(pmin.log10().floor()),
            10f64.powf(pmax.log10().ceil()).max(pmin * 10.0),
        )
    } else {
        (0.01, 10.0)
    };
    let mut svg = String::new();
    let names: Vec<String>;
    {
        let root = SVGBackend::with_string(&mut svg, (W, H)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let (plots, side) = root.split_horizontally(PLOT_W + 60);
        let (left, right) = plots.split_horizontally((PLOT_W + 60) / 2);
        let series = |c: usize| {
            let mut v: Vec<&SweepRow> = rows.iter().filter(|r| r.concurrency == c).collect();
            v.sort_by_key(|r| r.devices);
            v
        };
        let mut a = ChartBuilder::on(&left)
            .caption("throughput", (FONT, 16))
            .margin(10)
            .x_label_area_size(44)
            .y_label_area_size(60)
            .build_cartesian_2d((1f64..dmax).log_scale(), 0f64..tmax * 1.1)
            .map_err(err)?;
        a.configure_mesh()
            .x_desc("devices (log scale)")
            .y_desc("operations per second")
            .x_label_formatter(&|v| trim(*v))
            .y_label_formatter(&|v| format!("{v:.0}"))
            .light_line_style(RGBColor(238, 238, 238))
            .draw()
            .map_err(err)?;
        let mut b = ChartBuilder::on(&right)
            .caption("p99 latency", (FONT, 16))
            .margin(10)
            .x_label_area_size(44)
            .y_label_area_size(60)
            .build_cartesian_2d((1f64..dmax).log_scale(), (plo..phi).log_scale())
            .map_err(err)?;
        b.configure_mesh()
            .x_desc("devices (log scale)")
            .y_desc("p99 (log scale)")
            .x_label_formatter(&|v| trim(*v))
            .y_label_formatter(&|v| fmt_ms(*v))
            .light_line_style(RGBColor(238, 238, 238))
            .draw()
            .map_err(err)?;
        let mut entries = Vec::new();
        for (i, c) in conc.iter().enumerate() {
            let s = series(*c);
            a.draw_series(LineSeries::new(
                s.iter().map(|r| (r.devices.max(1) as f64, r.throughput)),
                color(i).stroke_width(2),
            ))
            .map_err(err)?;
            a.draw_series(s.iter().map(|r| {
                Circle::new(
                    (r.devices.max(1) as f64, r.throughput),
                    3,
                    color(i).filled(),
                )
            }))
            .map_err(err)?;
            b.draw_series(LineSeries::new(
                s.iter()
                    .map(|r| (r.devices.max(1) as f64, r.p99_ms.max(plo))),
                color(i).stroke_width(2),
            ))
            .map_err(err)?;
            b.draw_series(s.iter().map(|r| {
                Circle::new(
                    (r.devices.max(1) as f64, r.p99_ms.max(plo)),
                    3,
                    color(i).filled(),
                )
            }))
            .map_err(err)?;
            entries.push((format!("concurrency {c}"), color(i), false));
        }
        names = finish(&root, &side, "callers at once", entries)?;
    }
    Ok(Chart {
        plot_width: PLOT_W,
        kind: "scaling",
        caption: "The scaling sweep: pooled operations per second and p99 latency against the number of devices, a line per number of concurrent callers.".into(),
        svg,
        axes: vec![
            "devices (log scale)".into(),
            "operations per second".into(),
            "p99 (log scale)".into(),
        ],
        legend: names,
    })
}

/// Time to detect each fault and to recover from it, per chaos scenario (scenarios that
/// measure neither are left out).
pub fn chaos_times(results: &[netchaos::ScenarioResult]) -> Result<Chart, String> {
    let rows: Vec<&netchaos::ScenarioResult> = results
        .iter()
        .filter(|r| r.detect_s.is_some() || r.recover_s.is_some())
        .collect();
    if rows.is_empty() {
        return Err("no scenario measured detection or recovery".into());
    }
    let all = rows
        .iter()
        .flat_map(|r| [r.detect_s, r.recover_s])
        .flatten()
        .map(|s| s * 1000.0)
        .filter(|v| *v > 0.0);
    let (lo, hi) = all.fold((f64::INFINITY, 0f64), |(a, b), v| (a.min(v), b.max(v)));
    let lo = if lo.is_finite() {
        10f64.powf(lo.log10().floor())
    } else {
        0.1
    };
    let hi = 10f64.powf(hi.max(lo).log10().ceil()).max(lo * 10.0);
    let n = rows.len();
    let entries: Vec<(String, RGBColor, bool)> = vec![
        ("time to detect (error returned)".into(), color(0), true),
        ("time to recover (next success)".into(), color(1), true),
    ];
    let mut svg = String::new();
    let labels: Vec<String>;
    {
        let root =
            SVGBackend::with_string(&mut svg, (W, H.max(120 + 34 * n as u32))).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let (plot, side) = root.split_horizontally(PLOT_W);
        let names: Vec<String> = rows.iter().map(|r| r.name.clone()).collect();
        let mut chart = rows_chart(
            &plot,
            "Chaos: time to detect each fault, and to recover",
            lo..hi,
            &names,
            "milliseconds (log scale)",
            &|v| fmt_ms(*v),
        )?;
        type Pick = fn(&netchaos::ScenarioResult) -> Option<f64>;
        let picks: [Pick; 2] = [|r| r.detect_s, |r| r.recover_s];
        // Each row's height in pixels: detect takes its upper half, recover its lower.
        let half = chart.plotting_area().dim_in_pixel().1 / n as u32 / 2;
        for (k, pick) in picks.iter().enumerate() {
            chart
                .draw_series(rows.iter().enumerate().filter_map(|(i, r)| {
                    let v = pick(r)? * 1000.0;
                    let margins = if k == 0 { (4, half) } else { (half, 4) };
                    Some(row_bar(n - 1 - i, lo, v, color(k), margins))
                }))
                .map_err(err)?;
        }
        labels = finish(&root, &side, "per scenario", entries)?;
    }
    Ok(Chart {
        plot_width: PLOT_W,
        kind: "chaos",
        caption: "Chaos matrix: time from a fault's first call to the error that reports it, and from the fault's end to the next successful call.".into(),
        svg,
        axes: vec!["milliseconds (log scale)".into()],
        legend: labels,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::ModeResult;

    fn report(profile: &str) -> BenchReport {
        let mode = |name: &str, total_s: f64| ModeResult {
            mode: name.into(),
            transport: "netconf".into(),
            ops: 35,
            total_s,
            total_spread_s: [total_s, total_s],
            throughput: 35.0 / total_s,
            p50_ms: 1.0,
            p90_ms: 1.0,
            p99_ms: 1.0,
            max_ms: 1.0,
            connections_opened: 5,
            connections_source: "device",
            errors: 0,
            first_error: None,
            device_errors: Default::default(),
            limit_s: None,
            efficiency: None,
            probe_p99_ms: 0.0,
            samples_ms: vec![1.0],
        };
        BenchReport::new(
            profile,
            5,
            "seed",
            1,
            vec![mode("per-call", 20.0), mode("pooled-seq", 1.0)],
        )
    }

    #[test]
    fn the_published_lines_are_drawn_on_the_vmx_profile_only() {
        let vmx = speedup_bars(&report("vmx")).unwrap();
        assert!(
            vmx.legend.iter().any(|l| l.contains("6.2x")),
            "{:?}",
            vmx.legend
        );
        assert!(
            vmx.legend.iter().any(|l| l.contains("20.7x")),
            "{:?}",
            vmx.legend
        );
        let instant = speedup_bars(&report("instant")).unwrap();
        assert!(
            !instant.legend.iter().any(|l| l.contains("published")),
            "{:?}",
            instant.legend
        );
        assert!(
            !instant.svg.contains("published"),
            "a reference line on instant"
        );
        assert!(
            instant.caption.contains("vmx profile only"),
            "{}",
            instant.caption
        );
    }
}
