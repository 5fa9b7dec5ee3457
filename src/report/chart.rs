//! The digest's bar chart: the week's top spenders as horizontal bars, biggest first, each with
//! its amount, last week marked on it, and the rest of the team in one line below, as a PNG.
//!
//! Sized for Discord, which shows an attached image [`DISPLAY_WIDTH`] pixels wide: every size
//! is given in those display pixels and drawn at the chart's own width, so its names and
//! amounts read as large as Discord's body text. Drawn on a [`Canvas`] with DejaVu Sans from
//! the `dejavu` crate, so no system font is read and the same digest gives the same bytes on
//! any machine. [`ChartDrawing`] says what is where, for alt text and tests.

use super::canvas::{Canvas, Rgb, TextStyle, Weight};
use super::text;
use crate::money::Usd;
use crate::team::digest::Digest;

/// How wide Discord shows an attached image in a channel, in pixels.
pub const DISPLAY_WIDTH: u32 = 520;
/// The em of Discord's body text at that size, in pixels: the chart's names and amounts are
/// at least this large as shown.
pub const BODY_TEXT_EM: f32 = 16.0;

/// This week's bars.
pub const THIS_WEEK_COLOR: Rgb = [0x2e, 0x86, 0xc1];
/// Last week's mark on each bar.
pub const LAST_WEEK_COLOR: Rgb = [0xe6, 0x7e, 0x22];
/// The bars of members who reached their limit in the week.
pub const AT_LIMIT_COLOR: Rgb = [0xc0, 0x39, 0x2b];
const BACKGROUND: Rgb = [0xff, 0xff, 0xff];
const TEXT_COLOR: Rgb = [0x22, 0x22, 0x22];
const MUTED_TEXT_COLOR: Rgb = [0x6a, 0x6a, 0x6a];
const AXIS_COLOR: Rgb = [0x44, 0x44, 0x44];

/// Layout, in display pixels.
const MARGIN: f32 = 12.0;
const TITLE_EM: f32 = 20.0;
const ROW_HEIGHT: f32 = 26.0;
const BAR_HEIGHT: f32 = 16.0;
const NAME_COLUMN_MAX: f32 = 150.0;
const GAP: f32 = 8.0;
const MARK_WIDTH: f32 = 2.0;

/// How the chart is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChartOptions {
    /// The PNG's width in pixels; twice [`DISPLAY_WIDTH`] stays sharp on high-density screens.
    pub width: u32,
    /// At most this many bars; everyone else is summed in the line below the chart.
    pub top: usize,
}

impl Default for ChartOptions {
    fn default() -> ChartOptions {
        ChartOptions {
            width: 2 * DISPLAY_WIDTH,
            top: 15,
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
    /// The em of the names and amounts, in the PNG's pixels.
    pub label_em: f32,
    pub title: String,
    pub subtitle: String,
    /// The bars, top to bottom (biggest spend first).
    pub rows: Vec<ChartRow>,
    /// The spenders without a bar, summed in one line below the chart.
    pub others: Option<OthersLine>,
    pub legend: Vec<LegendEntry>,
    /// Where the bars may run: every bar and every mark lies inside it.
    pub bar_area: PixelRect,
    /// The dollar value of the bar area's right edge.
    pub scale_max: Usd,
}

impl ChartDrawing {
    /// The em of the names and amounts as Discord shows the image, in pixels.
    pub fn label_em_as_shown(&self) -> f32 {
        self.label_em * DISPLAY_WIDTH as f32 / self.width as f32
    }

    /// What the chart shows, in a sentence or two (alt text).
    pub fn describe(&self) -> String {
        let mut words = format!(
            "{}. {} Bars: this week's spend, biggest first; the orange mark on each bar: last week's; red bars: at or over the limit.",
            self.title, self.subtitle
        );
        if let Some(others) = &self.others {
            words.push(' ');
            words.push_str(&others.text);
        }
        words
    }
}

/// One bar: a member (or the unowned keys) and the week's spend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChartRow {
    /// The full name (the picture may shorten it).
    pub label: String,
    /// As the digest's text shows them (to the cent).
    pub this_week: Usd,
    pub last_week: Usd,
    /// Reached their limit in a window of the week.
    pub at_limit: bool,
    /// No longer on the team.
    pub departed: bool,
    /// This week's bar; `None` for nothing spent.
    pub bar: Option<PixelRect>,
    /// Last week's mark; `None` for nothing spent.
    pub last_week_mark: Option<PixelRect>,
    /// The amount written after the bar, and where.
    pub value_label: String,
    pub value_box: PixelRect,
}

/// The line below the chart for everyone without a bar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OthersLine {
    pub count: usize,
    pub this_week: Usd,
    /// Their share of the team's spend this week, in whole percent.
    pub percent: Option<i64>,
    pub text: String,
    pub text_box: PixelRect,
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

    /// Whether `other` lies wholly inside it.
    pub fn contains(&self, other: &PixelRect) -> bool {
        other.x >= self.x
            && other.y >= self.y
            && other.x + other.width <= self.x + self.width
            && other.y + other.height <= self.y + self.height
    }

    fn from_f32(x: f32, y: f32, width: f32, height: f32) -> PixelRect {
        PixelRect {
            x: x.round().max(0.0) as u32,
            y: y.round().max(0.0) as u32,
            width: width.round().max(1.0) as u32,
            height: height.round().max(1.0) as u32,
        }
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

/// Display pixels to the PNG's, and the fonts at the sizes the chart uses.
struct Scale {
    /// PNG pixels per display pixel.
    unit: f32,
    title: TextStyle,
    body: TextStyle,
}

impl Scale {
    fn new(width: u32) -> Result<Scale, ChartError> {
        let unit = width as f32 / DISPLAY_WIDTH as f32;
        let style = |weight, em: f32| {
            TextStyle::with_em(weight, em * unit)
                .ok_or_else(|| ChartError("the DejaVu Sans font could not be read".into()))
        };
        Ok(Scale {
            unit,
            title: style(Weight::Bold, TITLE_EM)?,
            body: style(Weight::Regular, BODY_TEXT_EM)?,
        })
    }

    /// `display` display pixels in the PNG's.
    fn px(&self, display: f32) -> f32 {
        display * self.unit
    }
}

/// Who spent, as the chart lists them.
struct Spender {
    label: String,
    this_week: Usd,
    last_week: Usd,
    at_limit: bool,
    departed: bool,
}

/// Draws the digest's chart.
pub fn render_chart(digest: &Digest, options: ChartOptions) -> Result<DigestChart, ChartError> {
    let width = options.width.clamp(DISPLAY_WIDTH, 4 * DISPLAY_WIDTH);
    let scale = Scale::new(width)?;
    let mut spenders = spenders(digest);
    let rest = spenders.split_off(spenders.len().min(options.top.max(1)));
    let title = format!("Spend per member, {}", digest.week.iso_name());
    let subtitle = format!(
        "{} ({}).",
        digest.week.dates(),
        digest.week.timezone().name()
    );
    let any_at_limit = spenders.iter().any(|s| s.at_limit);

    // Everything's height is known before drawing: the header, a row per bar, the footer.
    let legend_entries = legend_entries(digest, any_at_limit);
    let legend_lines = legend_layout(&scale, &legend_entries, width as f32);
    let header = scale.px(MARGIN)
        + scale.title.line_height()
        + scale.px(4.0)
        + scale.body.line_height()
        + legend_lines.len() as f32 * (scale.body.line_height() + scale.px(4.0))
        + scale.px(6.0);
    let rows_height = spenders.len().max(1) as f32 * scale.px(ROW_HEIGHT);
    let footer = if rest.is_empty() {
        scale.px(MARGIN)
    } else {
        scale.px(6.0) + scale.body.line_height() + scale.px(MARGIN)
    };
    let height = (header + rows_height + footer).ceil() as u32;

    let mut canvas = Canvas::new(width, height, BACKGROUND);
    let left = scale.px(MARGIN);
    canvas.text(&title, &scale.title, left, scale.px(MARGIN), TEXT_COLOR);
    let subtitle_y = scale.px(MARGIN) + scale.title.line_height() + scale.px(4.0);
    canvas.text(
        &scale.body.fit(&subtitle, width as f32 - 2.0 * left),
        &scale.body,
        left,
        subtitle_y,
        MUTED_TEXT_COLOR,
    );
    let legend_top = subtitle_y + scale.body.line_height() + scale.px(4.0);
    let legend = draw_legend(
        &mut canvas,
        &scale,
        legend_entries,
        &legend_lines,
        legend_top,
    );

    let (rows, bar_area, scale_max) = draw_rows(&mut canvas, &scale, &spenders, header);
    let others = (!rest.is_empty()).then(|| {
        let y = header + rows_height + scale.px(6.0);
        draw_others(&mut canvas, &scale, digest, &rest, y)
    });
    let png = canvas
        .to_png()
        .map_err(|e| ChartError(format!("PNG encoding failed: {e}")))?;
    Ok(DigestChart {
        png,
        drawing: ChartDrawing {
            width,
            height,
            label_em: scale.body.em(),
            title,
            subtitle,
            rows,
            others,
            legend,
            bar_area,
            scale_max,
        },
    })
}

/// Everyone who spent in either week (members, and unowned keys as one), at the amounts the
/// text shows, biggest this week first.
fn spenders(digest: &Digest) -> Vec<Spender> {
    let reached_limit = |name: &crate::team::MemberName| {
        digest
            .at_limit
            .iter()
            .any(|a| a.member.as_ref() == Some(name))
    };
    let mut spenders: Vec<Spender> = digest
        .members
        .iter()
        .map(|m| Spender {
            label: m.name.to_string(),
            this_week: text::shown(m.spend.this_week),
            last_week: text::shown(m.spend.last_week),
            // The digest's own "At or over limit" list, so the chart and the text agree.
            at_limit: reached_limit(&m.name),
            departed: m.departed,
        })
        .collect();
    let unowned = digest.unowned.spend;
    spenders.push(Spender {
        label: "unowned keys".into(),
        this_week: text::shown(unowned.this_week),
        last_week: text::shown(unowned.last_week),
        at_limit: false,
        departed: false,
    });
    spenders.retain(|s| s.this_week > Usd::ZERO || s.last_week > Usd::ZERO);
    spenders.sort_by(|a, b| {
        b.this_week
            .cmp(&a.this_week)
            .then(b.last_week.cmp(&a.last_week))
            .then_with(|| a.label.cmp(&b.label))
    });
    spenders
}

/// The legend's entries: the weeks' totals as the text shows them, and the limit colour when
/// a bar has it.
fn legend_entries(digest: &Digest, any_at_limit: bool) -> Vec<(String, Rgb)> {
    let total = text::shown_total(digest);
    let mut entries = vec![
        (
            format!("This week: {}", text::usd(total.this_week)),
            THIS_WEEK_COLOR,
        ),
        (
            format!("Last week: {}", text::usd(total.last_week)),
            LAST_WEEK_COLOR,
        ),
    ];
    if any_at_limit {
        entries.push(("At or over the limit".into(), AT_LIMIT_COLOR));
    }
    entries
}

/// The legend's entries on as few lines as fit the width: each line's entries, by index.
fn legend_layout(scale: &Scale, entries: &[(String, Rgb)], width: f32) -> Vec<Vec<usize>> {
    let room = width - 2.0 * scale.px(MARGIN);
    let mut lines: Vec<Vec<usize>> = vec![Vec::new()];
    let mut used = 0.0;
    for (i, (label, _)) in entries.iter().enumerate() {
        let entry = scale.px(14.0 + 6.0) + scale.body.width(label) + scale.px(16.0);
        if used + entry > room && lines.last().is_some_and(|l| !l.is_empty()) {
            lines.push(Vec::new());
            used = 0.0;
        }
        used += entry;
        if let Some(line) = lines.last_mut() {
            line.push(i);
        }
    }
    lines
}

fn draw_legend(
    canvas: &mut Canvas,
    scale: &Scale,
    entries: Vec<(String, Rgb)>,
    lines: &[Vec<usize>],
    top: f32,
) -> Vec<LegendEntry> {
    let style = &scale.body;
    let mut placed: Vec<Option<LegendEntry>> = vec![None; entries.len()];
    for (line_number, line) in lines.iter().enumerate() {
        let y = top + line_number as f32 * (style.line_height() + scale.px(4.0));
        let mut x = scale.px(MARGIN);
        for &i in line {
            let (label, color) = &entries[i];
            // Last week is a mark on the bars, and so in the legend.
            let (swatch_width, swatch_height) = if *color == LAST_WEEK_COLOR {
                (scale.px(MARK_WIDTH), scale.px(14.0))
            } else {
                (scale.px(14.0), scale.px(10.0))
            };
            let swatch = PixelRect::from_f32(
                x + (scale.px(14.0) - swatch_width) / 2.0,
                y + (style.line_height() - swatch_height) / 2.0,
                swatch_width,
                swatch_height,
            );
            swatch.fill(canvas, *color);
            let label_x = x + scale.px(14.0 + 6.0);
            canvas.text(label, style, label_x, y, TEXT_COLOR);
            x = label_x + style.width(label) + scale.px(16.0);
            placed[i] = Some(LegendEntry {
                label: label.clone(),
                color: *color,
                swatch,
            });
        }
    }
    placed.into_iter().flatten().collect()
}

/// One row per spender: the name, right-aligned; the bar, in scale with the biggest; last
/// week's mark; the amount after the bar. The scale leaves room for the widest amount, so no
/// bar and no amount runs off the picture.
fn draw_rows(
    canvas: &mut Canvas,
    scale: &Scale,
    spenders: &[Spender],
    top: f32,
) -> (Vec<ChartRow>, PixelRect, Usd) {
    let style = &scale.body;
    let width = canvas.width() as f32;
    let name_room = scale.px(NAME_COLUMN_MAX);
    // A long name is shortened, never the "(left)" that marks someone who left.
    let names: Vec<String> = spenders
        .iter()
        .map(|s| {
            if s.departed {
                let mark = " (left)";
                format!(
                    "{}{mark}",
                    style.fit(&s.label, name_room - style.width(mark))
                )
            } else {
                style.fit(&s.label, name_room)
            }
        })
        .collect();
    let name_column = names
        .iter()
        .map(|n| style.width(n))
        .fold(0.0f32, f32::max)
        .min(name_room);
    let values: Vec<String> = spenders
        .iter()
        .map(|s| {
            if s.at_limit {
                format!("{} at limit", text::usd(s.this_week))
            } else {
                text::usd(s.this_week)
            }
        })
        .collect();
    let widest_value = values.iter().map(|v| style.width(v)).fold(0.0f32, f32::max);
    let bars_left = scale.px(MARGIN) + name_column + scale.px(GAP);
    let bars_right = width - scale.px(MARGIN) - scale.px(GAP) - widest_value;
    let bars_width = (bars_right - bars_left).max(scale.px(40.0));
    let rows_height = spenders.len().max(1) as f32 * scale.px(ROW_HEIGHT);
    let bar_area = PixelRect::from_f32(bars_left, top, bars_width, rows_height);
    let scale_max = spenders
        .iter()
        .map(|s| s.this_week.max(s.last_week))
        .max()
        .unwrap_or(Usd::ZERO);
    // The axis the bars start from.
    PixelRect {
        x: bar_area.x.saturating_sub(1),
        width: 1,
        ..bar_area
    }
    .fill(canvas, AXIS_COLOR);

    let length = |value: Usd| -> u32 {
        if value <= Usd::ZERO || scale_max <= Usd::ZERO {
            return 0;
        }
        let pixels = i128::from(value.micros()) * i128::from(bar_area.width)
            / i128::from(scale_max.micros());
        // At least a sliver for anything above zero, so a small spender still shows.
        pixels.clamp(2, i128::from(bar_area.width)) as u32
    };
    let mut rows = Vec::with_capacity(spenders.len());
    for (i, ((spender, name), value)) in spenders.iter().zip(&names).zip(values).enumerate() {
        let row_top = top + i as f32 * scale.px(ROW_HEIGHT);
        let text_y = row_top + (scale.px(ROW_HEIGHT) - style.line_height()) / 2.0;
        let name_x = bars_left - scale.px(GAP) - style.width(name);
        let name_color = if spender.departed {
            MUTED_TEXT_COLOR
        } else {
            TEXT_COLOR
        };
        canvas.text(name, style, name_x, text_y, name_color);

        let bar_y = (row_top + (scale.px(ROW_HEIGHT) - scale.px(BAR_HEIGHT)) / 2.0).round() as u32;
        let bar_height = scale.px(BAR_HEIGHT).round() as u32;
        let (this_week, last_week) = (length(spender.this_week), length(spender.last_week));
        let bar = (this_week > 0).then_some(PixelRect {
            x: bar_area.x,
            y: bar_y,
            width: this_week,
            height: bar_height,
        });
        let color = if spender.at_limit {
            AT_LIMIT_COLOR
        } else {
            THIS_WEEK_COLOR
        };
        if let Some(bar) = &bar {
            bar.fill(canvas, color);
        }
        let mark_width = scale.px(MARK_WIDTH).round().max(1.0) as u32;
        let last_week_mark = (last_week > 0).then(|| {
            let end = bar_area.x + last_week;
            PixelRect {
                x: end.saturating_sub(mark_width).max(bar_area.x),
                y: bar_y.saturating_sub(scale.px(3.0).round() as u32),
                width: mark_width,
                height: bar_height + 2 * scale.px(3.0).round() as u32,
            }
        });
        if let Some(mark) = &last_week_mark {
            mark.fill(canvas, LAST_WEEK_COLOR);
        }
        let drawn_to = [bar, last_week_mark]
            .into_iter()
            .flatten()
            .map(|r| r.x + r.width)
            .max()
            .unwrap_or(bar_area.x);
        let value_x = drawn_to as f32 + scale.px(GAP) * 0.75;
        let value_box =
            PixelRect::from_f32(value_x, text_y, style.width(&value), style.line_height());
        canvas.text(&value, style, value_x, text_y, TEXT_COLOR);
        rows.push(ChartRow {
            label: spender.label.clone(),
            this_week: spender.this_week,
            last_week: spender.last_week,
            at_limit: spender.at_limit,
            departed: spender.departed,
            bar,
            last_week_mark,
            value_label: value,
            value_box,
        });
    }
    if spenders.is_empty() {
        let message = "No spend in either week";
        canvas.text(
            message,
            style,
            bars_left,
            top + (rows_height - style.line_height()) / 2.0,
            MUTED_TEXT_COLOR,
        );
    }
    (rows, bar_area, scale_max)
}

/// "and 80 others: $6,282.14, 65% of the team's spend", below the bars.
fn draw_others(
    canvas: &mut Canvas,
    scale: &Scale,
    digest: &Digest,
    rest: &[Spender],
    y: f32,
) -> OthersLine {
    let this_week: Usd = rest.iter().map(|s| s.this_week).sum();
    let total = text::shown_total(digest).this_week;
    let percent = (total > Usd::ZERO).then(|| {
        let share = i128::from(this_week.micros()) * 100;
        let whole = i128::from(total.micros());
        ((share + whole / 2) / whole) as i64
    });
    let count = rest.len();
    let who = if count == 1 { "other" } else { "others" };
    let text = match percent {
        Some(percent) => format!(
            "and {count} {who}: {}, {percent}% of the team's spend",
            text::usd(this_week)
        ),
        None => format!("and {count} {who}: {}", text::usd(this_week)),
    };
    let x = scale.px(MARGIN);
    let shown = scale
        .body
        .fit(&text, canvas.width() as f32 - 2.0 * scale.px(MARGIN));
    canvas.text(&shown, &scale.body, x, y, TEXT_COLOR);
    OthersLine {
        count,
        this_week,
        percent,
        text_box: PixelRect::from_f32(x, y, scale.body.width(&shown), scale.body.line_height()),
        text,
    }
}
