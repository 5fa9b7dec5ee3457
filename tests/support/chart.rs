//! What every digest chart must show, checked on the decoded picture against the digest's own
//! figures (worked out here again, the way a reader of the text would).

use openrouter_team_bot::money::Usd;
use openrouter_team_bot::report::chart::{
    AT_LIMIT_COLOR, BODY_TEXT_EM, LAST_WEEK_COLOR, THIS_WEEK_COLOR,
};
use openrouter_team_bot::report::text;
use openrouter_team_bot::report::{DigestChart, PixelRect};
use openrouter_team_bot::team::digest::Digest;

use super::picture::Picture;

/// A spender as the digest's text shows them: name, this week and last week to the cent.
fn spenders_in_the_text(digest: &Digest) -> Vec<(String, Usd, Usd)> {
    let mut spenders: Vec<(String, Usd, Usd)> = digest
        .members
        .iter()
        .map(|m| {
            (
                m.name.to_string(),
                text::shown(m.spend.this_week),
                text::shown(m.spend.last_week),
            )
        })
        .chain([(
            "unowned keys".to_string(),
            text::shown(digest.unowned.spend.this_week),
            text::shown(digest.unowned.spend.last_week),
        )])
        .filter(|(_, this, last)| *this > Usd::ZERO || *last > Usd::ZERO)
        .collect();
    spenders.sort_by(|a, b| b.1.cmp(&a.1).then(b.2.cmp(&a.2)).then(a.0.cmp(&b.0)));
    spenders
}

/// Checks the layout facts of `chart`, drawn from `digest` with room for `top` bars.
pub fn the_chart_is_readable(chart: &DigestChart, digest: &Digest, top: usize) {
    let drawing = &chart.drawing;
    let picture = Picture::decode(&chart.png);
    assert_eq!(
        (picture.width, picture.height),
        (drawing.width, drawing.height)
    );
    let whole = PixelRect {
        x: 0,
        y: 0,
        width: drawing.width,
        height: drawing.height,
    };
    assert!(
        drawing.label_em_as_shown() >= BODY_TEXT_EM,
        "names and amounts are {:.1} px when Discord shows the chart, smaller than its body text",
        drawing.label_em_as_shown()
    );
    assert!(drawing.title.contains(&digest.week.iso_name()));

    // The biggest spenders, in order, at the amounts of the text.
    let spenders = spenders_in_the_text(digest);
    let shown = spenders.len().min(top);
    let rows: Vec<(String, Usd, Usd)> = drawing
        .rows
        .iter()
        .map(|r| (r.label.clone(), r.this_week, r.last_week))
        .collect();
    assert_eq!(rows, spenders[..shown]);

    // No bar, mark or amount beyond the plot or the picture; the biggest runs the whole way.
    assert!(whole.contains(&drawing.bar_area));
    for row in &drawing.rows {
        for rect in [row.bar, row.last_week_mark].into_iter().flatten() {
            assert!(
                drawing.bar_area.contains(&rect),
                "{}'s bar runs off",
                row.label
            );
        }
        assert!(whole.contains(&row.value_box), "{}'s amount", row.label);
        let bar_end = row.bar.map_or(drawing.bar_area.x, |b| b.x + b.width);
        assert!(
            row.value_box.x >= bar_end,
            "{}'s amount is on its bar",
            row.label
        );
        assert!(row.value_label.starts_with(&text::usd(row.this_week)));
        assert_eq!(row.value_label.ends_with(" at limit"), row.at_limit);
    }
    if let Some(first) = drawing.rows.first() {
        let longest = first.this_week.max(first.last_week);
        let widest = drawing
            .rows
            .iter()
            .filter_map(|r| r.bar)
            .map(|b| b.width)
            .max();
        assert_eq!(drawing.scale_max, {
            drawing
                .rows
                .iter()
                .map(|r| r.this_week.max(r.last_week))
                .max()
                .unwrap()
        });
        if longest == first.this_week {
            assert_eq!(widest, Some(drawing.bar_area.width));
        }
    }

    // The colours are where the drawing says: limit reached in red, last week's mark orange.
    for row in &drawing.rows {
        let reached = digest.at_limit.iter().any(|a| {
            a.member
                .as_ref()
                .is_some_and(|m| m.to_string() == row.label)
        }) || digest.members.iter().any(|m| {
            m.name.to_string() == row.label
                && m.limit
                    .as_ref()
                    .and_then(|l| l.peak_percent)
                    .is_some_and(|p| p >= 100)
        });
        assert_eq!(row.at_limit, reached, "{}", row.label);
        let departed = digest
            .members
            .iter()
            .any(|m| m.departed && m.name.to_string() == row.label);
        assert_eq!(row.departed, departed, "{}", row.label);
        if let Some(bar) = row.bar {
            let color = if row.at_limit {
                AT_LIMIT_COLOR
            } else {
                THIS_WEEK_COLOR
            };
            // Left of any mark: the bar's first pixels.
            assert_eq!(
                picture.pixel(bar.x, bar.y + bar.height / 2),
                color,
                "{}",
                row.label
            );
        }
        if let Some(mark) = row.last_week_mark {
            let (x, _) = mark.center();
            assert_eq!(picture.pixel(x, mark.y), LAST_WEEK_COLOR, "{}", row.label);
        }
    }
    for entry in &drawing.legend {
        let (x, y) = entry.swatch.center();
        assert_eq!(picture.pixel(x, y), entry.color, "{}", entry.label);
        assert!(whole.contains(&entry.swatch));
    }
    let total = text::shown_total(digest);
    let legend: Vec<&str> = drawing.legend.iter().map(|e| e.label.as_str()).collect();
    let mut expected = vec![
        format!("This week: {}", text::usd(total.this_week)),
        format!("Last week: {}", text::usd(total.last_week)),
    ];
    if drawing.rows.iter().any(|r| r.at_limit) {
        expected.push("At or over the limit".into());
    }
    assert_eq!(legend, expected);

    // Everyone without a bar, in one line that adds up.
    let rest = &spenders[shown..];
    match &drawing.others {
        None => assert!(rest.is_empty(), "{} spenders are not shown", rest.len()),
        Some(others) => {
            let sum: Usd = rest.iter().map(|s| s.1).sum();
            assert_eq!(others.count, rest.len());
            assert_eq!(others.this_week, sum);
            let percent = (sum.micros() as f64 * 100.0 / total.this_week.micros() as f64).round();
            let line = format!(
                "and {} others: {}, {percent}% of the team's spend",
                rest.len(),
                text::usd(sum)
            );
            assert_eq!(others.text, line);
            assert!(whole.contains(&others.text_box));
            assert!(others.text_box.y >= drawing.bar_area.y + drawing.bar_area.height);
            assert!(drawing.describe().contains(&line));
        }
    }
}
