//! Bar charts as inline SVG, drawn on the server: no script, no library,
//! the same bytes for every browser, and the cost of a chart is the
//! number of its bars (a day of hours, a month of days), never the
//! number of settlements behind them. Pure.

use std::fmt::Write as _;

use super::page::escape;

/// One bar: its label (under it, and in its tooltip with the value) and
/// its height in the chart's unit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bar {
    pub label: String,
    pub value: i64,
    /// What the tooltip says of the value ("2.50 USD", "3 settlements").
    pub shown: String,
}

const WIDTH: i64 = 720;
const HEIGHT: i64 = 240;
const LEFT: i64 = 8;
const BOTTOM: i64 = 28;
const TOP: i64 = 20;

/// A vertical bar chart titled `title`. Labels are written under every
/// `label_every`-th bar so they never overlap. Negative values draw as
/// zero. The SVG scales to its container (viewBox, no fixed width).
pub fn bars(title: &str, bars: &[Bar], label_every: usize) -> String {
    let mut svg = String::with_capacity(256 + bars.len() * 200);
    let _ = write!(
        svg,
        "<svg class=\"chart\" viewBox=\"0 0 {WIDTH} {HEIGHT}\" role=\"img\" aria-label=\"{}\" \
         xmlns=\"http://www.w3.org/2000/svg\"><title>{}</title>",
        escape(title),
        escape(title)
    );
    let _ = write!(
        svg,
        "<line class=\"axis\" x1=\"{LEFT}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y}\"/>",
        y = HEIGHT - BOTTOM,
        x2 = WIDTH - LEFT
    );
    let max = bars.iter().map(|b| b.value.max(0)).max().unwrap_or(0);
    if bars.is_empty() || max == 0 {
        let _ = write!(
            svg,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">nothing in this period</text></svg>",
            WIDTH / 2,
            HEIGHT / 2
        );
        return svg;
    }
    let n = i64::try_from(bars.len()).unwrap_or(i64::MAX);
    let slot = (WIDTH - 2 * LEFT) / n.max(1);
    let width = (slot * 4 / 5).max(1);
    let usable = HEIGHT - BOTTOM - TOP;
    let every = label_every.max(1);
    for (i, b) in bars.iter().enumerate() {
        let i = i64::try_from(i).unwrap_or(0);
        // Integer heights: value * usable / max, rounded down; a bar
        // with any value is at least one unit high.
        let v = i128::from(b.value.max(0));
        let mut h = i64::try_from(v * i128::from(usable) / i128::from(max)).unwrap_or(usable);
        if b.value > 0 && h == 0 {
            h = 1;
        }
        let x = LEFT + i * slot + (slot - width) / 2;
        let y = HEIGHT - BOTTOM - h;
        let _ = write!(
            svg,
            "<rect class=\"bar\" x=\"{x}\" y=\"{y}\" width=\"{width}\" height=\"{h}\"><title>{}: {}</title></rect>",
            escape(&b.label),
            escape(&b.shown)
        );
        if usize::try_from(i).unwrap_or(0) % every == 0 {
            let _ = write!(
                svg,
                "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                x + width / 2,
                HEIGHT - BOTTOM + 16,
                escape(&b.label)
            );
        }
    }
    let _ = write!(
        svg,
        "<text x=\"{LEFT}\" y=\"{}\">max {}</text></svg>",
        TOP - 6,
        escape(
            &bars
                .iter()
                .max_by_key(|b| b.value)
                .map(|b| b.shown.clone())
                .unwrap_or_default()
        )
    );
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bar(label: &str, value: i64) -> Bar {
        Bar {
            label: label.into(),
            value,
            shown: format!("{value} units"),
        }
    }

    #[test]
    fn heights_are_proportional_in_integers() {
        let svg = bars("t", &[bar("a", 10), bar("b", 5), bar("c", 0)], 1);
        // usable height 192: 10 -> 192, 5 -> 96, 0 -> 0.
        assert!(svg.contains("height=\"192\""), "{svg}");
        assert!(svg.contains("height=\"96\""), "{svg}");
        assert!(svg.contains("height=\"0\""), "{svg}");
        assert!(svg.contains("<title>a: 10 units</title>"));
        assert!(svg.contains("max 10 units"));
    }

    #[test]
    fn a_tiny_value_is_still_seen_and_labels_are_escaped() {
        let svg = bars("<t>", &[bar("x<y", 1_000_000), bar("z", 1)], 1);
        assert!(svg.contains("height=\"1\""), "{svg}");
        assert!(svg.contains("x&lt;y"));
        assert!(svg.contains("aria-label=\"&lt;t&gt;\""));
        assert!(!svg.contains("<t>"));
    }

    #[test]
    fn an_empty_period_says_so() {
        assert!(bars("t", &[], 1).contains("nothing in this period"));
        assert!(bars("t", &[bar("a", 0)], 1).contains("nothing in this period"));
    }

    #[test]
    fn labels_are_thinned() {
        let many: Vec<Bar> = (0..48).map(|i| bar(&format!("h{i}"), i + 1)).collect();
        let svg = bars("t", &many, 6);
        assert_eq!(svg.matches("text-anchor=\"middle\"").count(), 8);
    }
}
