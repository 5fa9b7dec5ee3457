//! The digest's bar chart: per member, this week next to last week, as a PNG.
//!
//! Drawn on a [`Canvas`] with DejaVu Sans from the `dejavu` crate, so no system font is read
//! and the same digest gives the same bytes on any machine. [`ChartDrawing`] says what is where,
//! for alt text and tests.

use super::canvas::{Canvas, Direction, Rgb, TextStyle, Weight};
use super::text;
use crate::money::Usd;
use crate::team::digest::Digest;

/// This week's bars.
pub const THIS_WEEK_COLOR: Rgb = [0x2e, 0x86, 0xc1];
/// Last week's bars.
pub const LAST_WEEK_COLOR: Rgb = [0xf3, 0x9c, 0x12];
const BACKGROUND: Rgb = [0xff, 0xff, 0xff];
const TEXT_COLOR: Rgb = [0x22, 0x22, 0x22];
const MUTED_TEXT_COLOR: Rgb = [0x5f, 0x5f, 0x5f];
const AXIS_COLOR: Rgb = [0x44, 0x44, 0x44];
const GRID_COLOR: Rgb = [0xe4, 0xe4, 0xe4];

/// Where the plot sits: below the header, right of the dollar axis.
const PLOT_TOP: u32 = 112;
const PLOT_LEFT: u32 = 104;
const PLOT_RIGHT_MARGIN: u32 = 28;
const LABEL_SIZE: f32 = 14.0;

/// How the chart is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartOptions {
    pub width: u32,
    pub height: u32,
    /// At most this many bar pairs name someone; the rest are summed in one "others" pair.
    pub top: usize,
}

impl Default for ChartOptions {
    fn default() -> ChartOptions {
        ChartOptions {
            width: 1200,
            height: 700,
            top: 20,
        }
    }
}

/// The PNG and what is on it.
#[derive(Debug, Clone, PartialEq)]
pub struct DigestChart {
    pub png: Vec<u8>,
    pub drawing: ChartDrawing,
}

/// What was drawn.
#[derive(Debug, Clone, PartialEq)]
pub struct ChartDrawing {
    pub width: u32,
    pub height: u32,
    pub title: String,
    pub subtitle: String,
    /// The bar pairs, left to right.
    pub groups: Vec<ChartGroup>,
    /// How many spenders the last pair ("others") sums, if there is one.
    pub others: Option<usize>,
    pub legend: Vec<LegendEntry>,
    /// Where the bars are drawn.
    pub plot: PixelRect,
    /// The dollar value of the top of the plot.
    pub axis_max: Usd,
    /// Whether the names under the bars run downwards (too many to fit across).
    pub labels_turned: bool,
    /// Bars too tall for the scale (the "others" sum, usually) are cut at the top, marked by a
    /// gap, and their values given in this note above the plot.
    pub cut_note: Option<String>,
}

impl ChartDrawing {
    /// Bars drawn (zero-height ones included): two per group.
    pub fn bars(&self) -> usize {
        self.groups.len() * 2
    }

    /// What the chart shows, in a sentence or two (alt text).
    pub fn describe(&self) -> String {
        format!(
            "{}. {} Blue bars: this week; orange bars: last week.",
            self.title, self.subtitle
        )
    }
}

/// One pair of bars.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartGroup {
    /// The full name (the picture may shorten it).
    pub label: String,
    pub this_week: Usd,
    pub last_week: Usd,
    /// Where each bar was drawn; `None` for a zero.
    pub this_week_bar: Option<PixelRect>,
    pub last_week_bar: Option<PixelRect>,
}

/// A legend entry: its text, colour and where its swatch is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LegendEntry {
    pub label: String,
    pub color: Rgb,
    pub swatch: PixelRect,
}

/// A rectangle of pixels: `x..x+width`, `y..y+height`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PixelRect {
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
}

impl PixelRect {
    /// Its centre pixel.
    pub fn center(&self) -> (u32, u32) {
        (self.x + self.width / 2, self.y + self.height / 2)
    }

    fn fill(&self, canvas: &mut Canvas, color: Rgb) {
        canvas.fill_rect(
            i64::from(self.x),
            i64::from(self.y),
            i64::from(self.width),
            i64::from(self.height),
            color,
        );
    }
}

/// Why the chart could not be drawn.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the digest chart could not be drawn: {0}")]
pub struct ChartError(String);

/// The fonts at the sizes the chart uses.
struct Styles {
    title: TextStyle,
    subtitle: TextStyle,
    label: TextStyle,
}

impl Styles {
    fn new() -> Result<Styles, ChartError> {
        let style = |weight, size| {
            TextStyle::new(weight, size)
                .ok_or_else(|| ChartError("the DejaVu Sans font could not be read".into()))
        };
        Ok(Styles {
            title: style(Weight::Bold, 26.0)?,
            subtitle: style(Weight::Regular, 16.0)?,
            label: style(Weight::Regular, LABEL_SIZE)?,
        })
    }
}

/// Draws the digest's chart.
pub fn render_chart(digest: &Digest, options: ChartOptions) -> Result<DigestChart, ChartError> {
    let styles = Styles::new()?;
    let width = options.width.clamp(480, 4000);
    let height = options.height.clamp(360, 4000);
    let (mut groups, others) = chart_groups(digest, options.top.max(1));
    let title = format!("Spend per member, {}", digest.week.iso_name());
    let subtitle = subtitle(digest, &groups, others);

    let mut canvas = Canvas::new(width, height, BACKGROUND);
    canvas.text(
        &title,
        &styles.title,
        40.0,
        16.0,
        Direction::Across,
        TEXT_COLOR,
    );
    let subtitle_room = width as f32 - 80.0;
    canvas.text(
        &styles.subtitle.fit(&subtitle, subtitle_room),
        &styles.subtitle,
        40.0,
        58.0,
        Direction::Across,
        MUTED_TEXT_COLOR,
    );
    let legend = draw_legend(&mut canvas, &styles, digest);
    let plot = draw_plot(&mut canvas, &styles, &mut groups, others.is_some());
    let png = canvas
        .to_png()
        .map_err(|e| ChartError(format!("PNG encoding failed: {e}")))?;
    Ok(DigestChart {
        png,
        drawing: ChartDrawing {
            width,
            height,
            title,
            subtitle,
            groups,
            others,
            legend,
            plot: plot.area,
            axis_max: plot.axis_max,
            labels_turned: plot.labels_turned,
            cut_note: plot.cut_note,
        },
    })
}

/// The bar pairs: everyone who spent in either week (members, and unowned keys as one),
/// biggest this week first; past `top`, the rest summed as "others".
fn chart_groups(digest: &Digest, top: usize) -> (Vec<ChartGroup>, Option<usize>) {
    let group = |label: String, this_week, last_week| ChartGroup {
        label,
        this_week,
        last_week,
        this_week_bar: None,
        last_week_bar: None,
    };
    let mut spenders: Vec<ChartGroup> = digest
        .members
        .iter()
        .map(|m| group(m.name.to_string(), m.spend.this_week, m.spend.last_week))
        .collect();
    let unowned = digest.unowned.spend;
    spenders.push(group(
        "unowned keys".into(),
        unowned.this_week,
        unowned.last_week,
    ));
    spenders.retain(|g| g.this_week > Usd::ZERO || g.last_week > Usd::ZERO);
    spenders.sort_by(|a, b| {
        b.this_week
            .cmp(&a.this_week)
            .then(b.last_week.cmp(&a.last_week))
            .then_with(|| a.label.cmp(&b.label))
    });
    if spenders.len() <= top {
        return (spenders, None);
    }
    let rest = spenders.split_off(top);
    let count = rest.len();
    spenders.push(group(
        format!("others ({count})"),
        rest.iter().map(|g| g.this_week).sum(),
        rest.iter().map(|g| g.last_week).sum(),
    ));
    (spenders, Some(count))
}

fn subtitle(digest: &Digest, groups: &[ChartGroup], others: Option<usize>) -> String {
    let period = format!(
        "{} ({})",
        digest.week.dates(),
        digest.week.timezone().name()
    );
    let shown = match others {
        Some(rest) => {
            let named = groups.len().saturating_sub(1);
            format!(
                "Top {named} of {} spenders; the other {rest} are summed as \"others\"",
                named + rest
            )
        }
        None if groups.is_empty() => "No spend in either week".to_string(),
        None => format!("Everyone who spent in either week ({})", groups.len()),
    };
    format!("{period}. {shown}.")
}

/// The legend, right-aligned in the header: a swatch and a label per week.
fn draw_legend(canvas: &mut Canvas, styles: &Styles, digest: &Digest) -> Vec<LegendEntry> {
    let total = text::shown_total(digest);
    let entries = [
        (
            format!("This week: {}", text::usd(total.this_week)),
            THIS_WEEK_COLOR,
        ),
        (
            format!("Last week: {}", text::usd(total.last_week)),
            LAST_WEEK_COLOR,
        ),
    ];
    let style = &styles.subtitle;
    let (swatch_width, swatch_height, gap) = (28u32, 16u32, 8.0f32);
    let mut right = canvas.width() as f32 - 28.0;
    let mut legend = Vec::new();
    for (label, color) in entries.into_iter().rev() {
        let label_x = right - style.width(&label);
        let swatch = PixelRect {
            x: (label_x - gap - swatch_width as f32).max(0.0) as u32,
            y: 22,
            width: swatch_width,
            height: swatch_height,
        };
        swatch.fill(canvas, color);
        let label_y = swatch.y as f32 + (swatch_height as f32 - style.line_height()) / 2.0;
        canvas.text(
            &label,
            style,
            label_x,
            label_y,
            Direction::Across,
            TEXT_COLOR,
        );
        right = swatch.x as f32 - 24.0;
        legend.push(LegendEntry {
            label,
            color,
            swatch,
        });
    }
    legend.reverse();
    legend
}

/// What [`draw_plot`] drew.
struct Plot {
    area: PixelRect,
    axis_max: Usd,
    labels_turned: bool,
    cut_note: Option<String>,
}

/// Axes, grid, bars and names. The scale fits the named bars; a last "others" pair taller than
/// them is cut rather than squashing everyone else flat.
fn draw_plot(
    canvas: &mut Canvas,
    styles: &Styles,
    groups: &mut [ChartGroup],
    last_is_others: bool,
) -> Plot {
    let label = &styles.label;
    let plot_width = canvas.width() - PLOT_LEFT - PLOT_RIGHT_MARGIN;
    let slots = groups.len().max(1) as u32;
    let slot_width = plot_width as f32 / slots as f32;
    let widest = groups
        .iter()
        .map(|g| label.width(&g.label))
        .fold(0.0f32, f32::max);
    let turned = widest > slot_width - 6.0;
    let label_area = if turned {
        (canvas.height() / 4).clamp(60, 180)
    } else {
        40
    };
    let plot = PixelRect {
        x: PLOT_LEFT,
        y: PLOT_TOP,
        width: plot_width,
        height: canvas.height() - PLOT_TOP - label_area - 8,
    };
    let named = if last_is_others && groups.len() > 1 {
        &groups[..groups.len() - 1]
    } else {
        &groups[..]
    };
    let highest = named
        .iter()
        .map(|g| g.this_week.max(g.last_week))
        .max()
        .unwrap_or(Usd::ZERO);
    let (step, axis_max) = dollar_axis(highest);
    let cut: Vec<&ChartGroup> = groups
        .iter()
        .filter(|g| g.this_week > axis_max || g.last_week > axis_max)
        .collect();
    let cut_note = (!cut.is_empty()).then(|| {
        let values: Vec<String> = cut
            .iter()
            .map(|g| {
                format!(
                    "{}: {} this week, {} last week",
                    g.label,
                    text::usd(g.this_week),
                    text::usd(g.last_week)
                )
            })
            .collect();
        format!("Cut off at the top: {}", values.join("; "))
    });
    if let Some(note) = &cut_note {
        let note = styles.label.fit(note, plot_width as f32);
        let x = (PLOT_LEFT + plot_width) as f32 - label.width(&note);
        let y = PLOT_TOP as f32 - 10.0 - label.line_height();
        canvas.text(&note, label, x, y, Direction::Across, MUTED_TEXT_COLOR);
    }

    // Grid lines and dollar labels.
    let bottom = plot.y + plot.height;
    let mut tick = Usd::ZERO;
    while tick <= axis_max {
        let y = bottom - scale(tick, axis_max, plot.height);
        let line = PixelRect {
            x: plot.x,
            y,
            width: plot.width,
            height: 1,
        };
        line.fill(
            canvas,
            if tick == Usd::ZERO {
                AXIS_COLOR
            } else {
                GRID_COLOR
            },
        );
        let text = axis_label(tick, step);
        let x = plot.x as f32 - 10.0 - label.width(&text);
        let y = y as f32 - label.line_height() / 2.0;
        canvas.text(&text, label, x, y, Direction::Across, TEXT_COLOR);
        tick = tick + step;
    }
    PixelRect {
        x: plot.x,
        y: plot.y,
        width: 1,
        height: plot.height + 1,
    }
    .fill(canvas, AXIS_COLOR);
    let axis_title = "Spend (US dollars)";
    let axis_title_y =
        plot.y as f32 + (plot.height as f32 + styles.subtitle.width(axis_title)) / 2.0;
    canvas.text(
        axis_title,
        &styles.subtitle,
        16.0,
        axis_title_y,
        Direction::Up,
        MUTED_TEXT_COLOR,
    );

    if groups.is_empty() {
        let message = "No spend in either week";
        let x = plot.x as f32 + (plot.width as f32 - styles.subtitle.width(message)) / 2.0;
        let y = plot.y as f32 + plot.height as f32 / 2.0;
        canvas.text(
            message,
            &styles.subtitle,
            x,
            y,
            Direction::Across,
            MUTED_TEXT_COLOR,
        );
    }
    for (slot, group) in groups.iter_mut().enumerate() {
        let left = plot.x as f32 + slot as f32 * slot_width;
        let bar = |from: f32, to: f32, value: Usd| {
            let height = scale(value, axis_max, plot.height);
            (height > 0).then(|| PixelRect {
                x: (left + from * slot_width).round() as u32,
                y: bottom - height,
                width: (((to - from) * slot_width).round() as u32).max(1),
                height,
            })
        };
        group.this_week_bar = bar(0.14, 0.5, group.this_week);
        group.last_week_bar = bar(0.5, 0.86, group.last_week);
        for (rect, value, color) in [
            (group.this_week_bar, group.this_week, THIS_WEEK_COLOR),
            (group.last_week_bar, group.last_week, LAST_WEEK_COLOR),
        ] {
            let Some(rect) = rect else { continue };
            rect.fill(canvas, color);
            if value > axis_max {
                // A white gap near the top says "this bar goes on".
                let gap = PixelRect {
                    y: rect.y + 10,
                    height: 4,
                    ..rect
                };
                gap.fill(canvas, BACKGROUND);
            }
        }
        let center = left + slot_width / 2.0;
        let top = bottom as f32 + 8.0;
        if turned {
            let name = label.fit(&group.label, label_area as f32 - 10.0);
            let x = center + label.line_height() / 2.0;
            canvas.text(&name, label, x, top, Direction::Down, TEXT_COLOR);
        } else {
            let x = center - label.width(&group.label) / 2.0;
            canvas.text(&group.label, label, x, top, Direction::Across, TEXT_COLOR);
        }
    }
    Plot {
        area: plot,
        axis_max,
        labels_turned: turned,
        cut_note,
    }
}

/// The bar height of `value` on a plot `height` pixels high for `axis_max`: at least one pixel
/// for anything above zero, so a small spender still shows.
fn scale(value: Usd, axis_max: Usd, height: u32) -> u32 {
    if value <= Usd::ZERO || axis_max <= Usd::ZERO {
        return 0;
    }
    let pixels = i128::from(value.micros()) * i128::from(height) / i128::from(axis_max.micros());
    pixels.clamp(1, i128::from(height)) as u32
}

/// A round tick step (1, 2 or 5 times a power of ten, from a cent up) giving about five to
/// eight ticks, and the axis maximum: the first tick at or above `highest` (at least one step).
fn dollar_axis(highest: Usd) -> (Usd, Usd) {
    let target = highest.micros().max(1) / 6;
    let mut power: i64 = 10_000;
    let step = loop {
        if let Some(step) = [1, 2, 5]
            .iter()
            .map(|m| m * power)
            .find(|step| *step >= target)
        {
            break step;
        }
        match power.checked_mul(10) {
            Some(next) => power = next,
            None => break power,
        }
    };
    let ticks = (highest.micros() + step - 1) / step;
    (
        Usd::from_micros(step),
        Usd::from_micros(ticks.max(1).saturating_mul(step)),
    )
}

/// A tick label: whole dollars with thousands separators, cents only on small scales.
fn axis_label(value: Usd, step: Usd) -> String {
    if step.micros() >= 1_000_000 {
        let digits = (value.micros() / 1_000_000).to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        format!("${grouped}")
    } else {
        format!(
            "${}.{:02}",
            value.micros() / 1_000_000,
            value.micros() % 1_000_000 / 10_000
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dollar_axis_has_round_steps_above_the_highest_bar() {
        let (step, max) = dollar_axis(Usd::from_dollars(497));
        assert_eq!(
            (step, max),
            (Usd::from_dollars(100), Usd::from_dollars(500))
        );
        let (step, max) = dollar_axis(Usd::from_micros(1_230_000));
        assert_eq!(
            (step, max),
            (Usd::from_micros(500_000), Usd::from_micros(1_500_000))
        );
        assert_eq!(dollar_axis(Usd::ZERO).1, Usd::from_micros(10_000));
    }

    #[test]
    fn tick_labels_read_as_dollars() {
        let hundred = Usd::from_dollars(100);
        assert_eq!(axis_label(Usd::from_dollars(1_200), hundred), "$1,200");
        assert_eq!(
            axis_label(Usd::from_micros(1_500_000), Usd::from_micros(500_000)),
            "$1.50"
        );
    }

    #[test]
    fn small_spend_still_shows_a_bar() {
        assert_eq!(scale(Usd::from_micros(1), Usd::from_dollars(500), 400), 1);
        assert_eq!(scale(Usd::ZERO, Usd::from_dollars(500), 400), 0);
        assert_eq!(
            scale(Usd::from_dollars(250), Usd::from_dollars(500), 400),
            200
        );
    }
}
