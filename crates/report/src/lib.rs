//! # osteosim-report
//!
//! Reports as one self-contained HTML file: headings, text, tables and plots of named
//! columns, with every script, style and number inlined so that the file opens offline, from
//! an e-mail attachment, and prints.
//!
//! The crate knows nothing of the science it shows. A caller builds a [`Report`]:
//! - [`Dataset`]s: named columns of numbers with their units (a run's time series),
//! - [`Section`]s of [`Block`]s: paragraphs, preformatted text, [`Table`]s and [`Plot`]s,
//! - a [`Plot`] draws [`Series`] whose values are either columns of a dataset
//!   ([`Values::Column`]) or inline numbers ([`Values::Inline`]); a series may carry a
//!   ribbon (a lower and an upper bound), and a plot may carry shaded bands of its y axis
//!   ([`Band`]), marks on its x axis ([`Mark`]) and shaded spans of it ([`Span`]).
//!
//! [`Report::render`] checks that every reference resolves and that the lengths agree, and
//! writes the HTML. The data travel as one JSON document inside the page
//! (`<script type="application/json" id="report-data">`, see [`embedded_data`]); the plots
//! are drawn from it in the browser by uPlot (vendored, MIT licence, version in
//! [`UPLOT_VERSION`]), with the Okabe-Ito palette, which stays distinguishable for readers
//! with colour-vision deficiencies.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::Serialize;
use serde_json::Value;

/// The vendored plotting library: uPlot, from the npm package `uplot`, MIT licence
/// (`vendor/uPlot.LICENSE`).
pub const UPLOT_VERSION: &str = "1.6.32";
/// uPlot's minified script (IIFE build, defines the global `uPlot`).
pub const UPLOT_JS: &str = include_str!("../vendor/uPlot.iife.min.js");
/// uPlot's stylesheet.
pub const UPLOT_CSS: &str = include_str!("../vendor/uPlot.min.css");
/// The script that draws a report's plots from its embedded data with uPlot; also usable by
/// other pages (it defines `OsteosimPlots.draw(spec, plotIndex, element)`).
pub const PLOTS_JS: &str = include_str!("plots.js");
/// The report's own stylesheet (screen and print).
pub const REPORT_CSS: &str = include_str!("report.css");

/// The colours of series in order: the Okabe-Ito palette (Okabe and Ito 2008), yellow last
/// because it is faint on white.
pub const PALETTE: [&str; 8] = [
    "#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442",
];

/// Why a report cannot be rendered: a reference that does not resolve or lengths that
/// disagree. Each names the plot and the series.
#[derive(Debug, thiserror::Error, PartialEq)]
pub enum ReportError {
    #[error("plot `{plot}`, series `{series}`: no dataset `{dataset}`")]
    NoDataset {
        plot: String,
        series: String,
        dataset: String,
    },
    #[error("plot `{plot}`, series `{series}`: dataset `{dataset}` has no column `{column}`")]
    NoColumn {
        plot: String,
        series: String,
        dataset: String,
        column: String,
    },
    #[error("plot `{plot}`, series `{series}`: {x} x values but {found} {what} values")]
    Length {
        plot: String,
        series: String,
        what: &'static str,
        x: usize,
        found: usize,
    },
    #[error("dataset `{dataset}`: column `{column}` has {found} values, the first has {expected}")]
    Ragged {
        dataset: String,
        column: String,
        expected: usize,
        found: usize,
    },
}

/// Named columns of equal length.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Dataset {
    pub columns: Vec<Column>,
}

/// One column: name, unit (empty when it has none) and values (non-finite values become
/// JSON `null`, drawn as gaps).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Column {
    pub name: String,
    pub unit: String,
    pub values: Vec<f64>,
}

impl Dataset {
    /// From a row-major table: `names[k]` heads the k-th value of every row; `unit(name)` gives
    /// each column's unit.
    pub fn from_rows(names: &[String], rows: &[Vec<f64>], unit: impl Fn(&str) -> String) -> Self {
        let columns = names
            .iter()
            .enumerate()
            .map(|(k, name)| Column {
                name: name.clone(),
                unit: unit(name),
                values: rows
                    .iter()
                    .map(|r| r.get(k).copied().unwrap_or(f64::NAN))
                    .collect(),
            })
            .collect();
        Dataset { columns }
    }

    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// Where a series' numbers come from.
#[derive(Debug, Clone, Serialize, PartialEq)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Values {
    /// A column of one of the report's datasets.
    Column { dataset: String, column: String },
    /// Numbers given here.
    Inline { values: Vec<f64> },
}

impl Values {
    pub fn column(dataset: &str, column: &str) -> Values {
        Values::Column {
            dataset: dataset.to_string(),
            column: column.to_string(),
        }
    }

    pub fn inline(values: Vec<f64>) -> Values {
        Values::Inline { values }
    }
}

/// How a series is drawn.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Style {
    /// Points joined by straight lines.
    #[default]
    Line,
    /// A step function: each value holds until the next x (survival curves, cumulative
    /// incidence).
    Step,
    /// Points only (published data).
    Points,
}

/// A tone for table cells and bands.
#[derive(Debug, Clone, Copy, Serialize, PartialEq, Eq, Default)]
#[serde(rename_all = "snake_case")]
pub enum Tone {
    #[default]
    Plain,
    Good,
    Warn,
    Bad,
    Muted,
}

impl Tone {
    fn class(self) -> &'static str {
        match self {
            Tone::Plain => "",
            Tone::Good => "good",
            Tone::Warn => "warn",
            Tone::Bad => "bad",
            Tone::Muted => "muted",
        }
    }
}

/// An axis: what it shows and its unit (shown in brackets; empty for none).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Axis {
    pub label: String,
    pub unit: String,
    /// Ticks at whole numbers only (counts, row numbers).
    pub whole: bool,
}

impl Axis {
    pub fn new(label: &str, unit: &str) -> Axis {
        Axis {
            label: label.to_string(),
            unit: unit.to_string(),
            whole: false,
        }
    }

    /// An axis of whole numbers (rows, counts), without a unit.
    pub fn counting(label: &str) -> Axis {
        Axis {
            label: label.to_string(),
            unit: String::new(),
            whole: true,
        }
    }

    fn title(&self) -> String {
        if self.unit.is_empty() {
            self.label.clone()
        } else {
            format!("{} ({})", self.label, self.unit)
        }
    }
}

/// One line (or step function, or set of points) of a plot.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Series {
    pub label: String,
    pub x: Values,
    pub y: Values,
    /// Lower and upper bounds drawn as a shaded ribbon around the series.
    pub ribbon: Option<(Values, Values)>,
    pub style: Style,
    /// Index into [`PALETTE`] (modulo its length); the series' position when `None`.
    pub colour: Option<usize>,
    /// Drawn dashed (a second quantity of the same colour, a reference).
    pub dashed: bool,
}

impl Series {
    pub fn new(label: &str, x: Values, y: Values) -> Series {
        Series {
            label: label.to_string(),
            x,
            y,
            ribbon: None,
            style: Style::Line,
            colour: None,
            dashed: false,
        }
    }

    pub fn with_ribbon(mut self, lower: Values, upper: Values) -> Series {
        self.ribbon = Some((lower, upper));
        self
    }

    pub fn with_style(mut self, style: Style) -> Series {
        self.style = style;
        self
    }

    pub fn with_colour(mut self, colour: usize) -> Series {
        self.colour = Some(colour);
        self
    }

    pub fn with_dashes(mut self) -> Series {
        self.dashed = true;
        self
    }
}

/// A shaded band of the y axis, from `from` to `to` (open ends reach the plot's edge).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Band {
    pub from: Option<f64>,
    pub to: Option<f64>,
    pub label: String,
    pub tone: Tone,
}

/// A vertical line at `at` on the x axis (a dose).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Mark {
    pub at: f64,
    pub label: String,
}

/// A shaded span of the x axis (a treatment period too dense to mark dose by dose).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Span {
    pub from: f64,
    pub to: f64,
    pub label: String,
}

/// A plot: series over shared axes.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Plot {
    pub title: String,
    pub caption: Option<String>,
    pub x: Axis,
    pub y: Axis,
    pub series: Vec<Series>,
    pub bands: Vec<Band>,
    pub marks: Vec<Mark>,
    pub spans: Vec<Span>,
    /// A logarithmic y axis.
    pub log_y: bool,
    /// A fixed y range (otherwise fitted to the data and the bands' finite ends).
    pub y_range: Option<(f64, f64)>,
}

impl Plot {
    pub fn new(title: &str, x: Axis, y: Axis) -> Plot {
        Plot {
            title: title.to_string(),
            caption: None,
            x,
            y,
            series: Vec::new(),
            bands: Vec::new(),
            marks: Vec::new(),
            spans: Vec::new(),
            log_y: false,
            y_range: None,
        }
    }

    pub fn with_caption(mut self, caption: &str) -> Plot {
        self.caption = Some(caption.to_string());
        self
    }

    pub fn with_series(mut self, series: Series) -> Plot {
        self.series.push(series);
        self
    }

    pub fn with_band(
        mut self,
        from: Option<f64>,
        to: Option<f64>,
        label: &str,
        tone: Tone,
    ) -> Plot {
        self.bands.push(Band {
            from,
            to,
            label: label.to_string(),
            tone,
        });
        self
    }

    pub fn with_y_range(mut self, lo: f64, hi: f64) -> Plot {
        self.y_range = Some((lo, hi));
        self
    }
}

/// A table cell: text and a tone.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct Cell {
    pub text: String,
    pub tone: Tone,
}

impl Cell {
    pub fn new(text: impl Into<String>) -> Cell {
        Cell {
            text: text.into(),
            tone: Tone::Plain,
        }
    }

    pub fn toned(text: impl Into<String>, tone: Tone) -> Cell {
        Cell {
            text: text.into(),
            tone,
        }
    }
}

/// A table with a header row.
#[derive(Debug, Clone, Serialize, PartialEq, Default)]
pub struct Table {
    pub caption: Option<String>,
    pub header: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// One element of a section.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A paragraph of plain text.
    Text(String),
    /// Preformatted text (a scenario file) with a caption.
    Code {
        caption: String,
        text: String,
    },
    Table(Table),
    Plot(Box<Plot>),
}

/// A titled part of the report.
#[derive(Debug, Clone, PartialEq)]
pub struct Section {
    pub title: String,
    pub blocks: Vec<Block>,
}

impl Section {
    pub fn new(title: &str) -> Section {
        Section {
            title: title.to_string(),
            blocks: Vec::new(),
        }
    }

    pub fn push(&mut self, block: Block) {
        self.blocks.push(block);
    }

    pub fn is_empty(&self) -> bool {
        self.blocks.is_empty()
    }
}

/// A whole report.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Report {
    pub title: String,
    /// A line under the title (what was run, when, by which version).
    pub subtitle: String,
    /// Short facts shown at the top (label, value), e.g. "targets passed: 40 of 42".
    pub facts: Vec<(String, Cell)>,
    pub datasets: BTreeMap<String, Dataset>,
    pub sections: Vec<Section>,
}

/// The JSON document embedded in a page.
#[derive(Serialize)]
struct Embedded<'a> {
    datasets: &'a BTreeMap<String, Dataset>,
    plots: Vec<&'a Plot>,
}

impl Report {
    pub fn new(title: &str, subtitle: &str) -> Report {
        Report {
            title: title.to_string(),
            subtitle: subtitle.to_string(),
            ..Report::default()
        }
    }

    /// Every plot, in page order.
    pub fn plots(&self) -> impl Iterator<Item = &Plot> {
        self.sections.iter().flat_map(|s| {
            s.blocks.iter().filter_map(|b| match b {
                Block::Plot(p) => Some(p.as_ref()),
                _ => None,
            })
        })
    }

    /// Check every dataset and every series reference.
    pub fn check(&self) -> Result<(), ReportError> {
        for (name, d) in &self.datasets {
            if let Some(first) = d.columns.first() {
                for c in &d.columns {
                    if c.values.len() != first.values.len() {
                        return Err(ReportError::Ragged {
                            dataset: name.clone(),
                            column: c.name.clone(),
                            expected: first.values.len(),
                            found: c.values.len(),
                        });
                    }
                }
            }
        }
        for p in self.plots() {
            for s in &p.series {
                let len = |v: &Values| -> Result<usize, ReportError> {
                    match v {
                        Values::Inline { values } => Ok(values.len()),
                        Values::Column { dataset, column } => {
                            let d = self.datasets.get(dataset).ok_or_else(|| {
                                ReportError::NoDataset {
                                    plot: p.title.clone(),
                                    series: s.label.clone(),
                                    dataset: dataset.clone(),
                                }
                            })?;
                            let c = d.column(column).ok_or_else(|| ReportError::NoColumn {
                                plot: p.title.clone(),
                                series: s.label.clone(),
                                dataset: dataset.clone(),
                                column: column.clone(),
                            })?;
                            Ok(c.values.len())
                        }
                    }
                };
                let x = len(&s.x)?;
                let mut others = vec![("y", len(&s.y)?)];
                if let Some((lo, hi)) = &s.ribbon {
                    others.push(("ribbon lower", len(lo)?));
                    others.push(("ribbon upper", len(hi)?));
                }
                for (what, found) in others {
                    if found != x {
                        return Err(ReportError::Length {
                            plot: p.title.clone(),
                            series: s.label.clone(),
                            what,
                            x,
                            found,
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// The data a page embeds (`datasets` and `plots`), for pages that draw the plots of a
    /// report themselves with [`PLOTS_JS`].
    pub fn data(&self) -> Result<Value, ReportError> {
        self.check()?;
        let embedded = Embedded {
            datasets: &self.datasets,
            plots: self.plots().collect(),
        };
        // Serialising plain structs of strings and numbers cannot fail.
        Ok(serde_json::to_value(&embedded).unwrap_or(Value::Null))
    }

    /// The whole page.
    pub fn render(&self) -> Result<String, ReportError> {
        self.check()?;
        let embedded = Embedded {
            datasets: &self.datasets,
            plots: self.plots().collect(),
        };
        // Serialising plain structs of strings and numbers cannot fail.
        let json = serde_json::to_string(&embedded).unwrap_or_else(|_| "{}".to_string());
        let mut html = String::with_capacity(json.len() + UPLOT_JS.len() + 16 * 1024);
        html.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        html.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        let _ = writeln!(html, "<title>{}</title>", escape(&self.title));
        let _ = writeln!(
            html,
            "<!-- Plots drawn with uPlot {UPLOT_VERSION} (MIT licence, (c) Leon Sorokin), inlined below. -->"
        );
        let _ = writeln!(html, "<style>\n{UPLOT_CSS}\n{REPORT_CSS}\n</style>");
        html.push_str("</head>\n<body>\n<header>\n");
        let _ = writeln!(html, "<h1>{}</h1>", escape(&self.title));
        if !self.subtitle.is_empty() {
            let _ = writeln!(html, "<p class=\"subtitle\">{}</p>", escape(&self.subtitle));
        }
        if !self.facts.is_empty() {
            html.push_str("<dl class=\"facts\">\n");
            for (label, cell) in &self.facts {
                let _ = writeln!(
                    html,
                    "<div><dt>{}</dt><dd class=\"{}\">{}</dd></div>",
                    escape(label),
                    cell.tone.class(),
                    escape(&cell.text)
                );
            }
            html.push_str("</dl>\n");
        }
        html.push_str(
            "<noscript><p class=\"bad\">The plots of this report are drawn by its inlined \
             script; with scripts disabled only the tables and text are shown.</p></noscript>\n",
        );
        if self.sections.len() > 1 {
            html.push_str("<nav><ul>\n");
            for (k, s) in self.sections.iter().enumerate() {
                let _ = writeln!(
                    html,
                    "<li><a href=\"#section-{k}\">{}</a></li>",
                    escape(&s.title)
                );
            }
            html.push_str("</ul></nav>\n");
        }
        html.push_str("</header>\n<main>\n");
        let mut plot_index = 0;
        for (k, s) in self.sections.iter().enumerate() {
            let _ = writeln!(
                html,
                "<section id=\"section-{k}\">\n<h2>{}</h2>",
                escape(&s.title)
            );
            for b in &s.blocks {
                match b {
                    Block::Text(t) => {
                        let _ = writeln!(html, "<p>{}</p>", escape(t));
                    }
                    Block::Code { caption, text } => {
                        let _ = writeln!(
                            html,
                            "<figure class=\"code\"><figcaption>{}</figcaption><pre>{}</pre></figure>",
                            escape(caption),
                            escape(text)
                        );
                    }
                    Block::Table(t) => render_table(&mut html, t),
                    Block::Plot(p) => {
                        render_plot(&mut html, p, plot_index);
                        plot_index += 1;
                    }
                }
            }
            html.push_str("</section>\n");
        }
        html.push_str("</main>\n");
        let _ = writeln!(
            html,
            "<script type=\"application/json\" id=\"report-data\">{}</script>",
            escape_script(&json)
        );
        let _ = writeln!(html, "<script>\n{}\n</script>", escape_script(UPLOT_JS));
        let _ = writeln!(html, "<script>\n{}\n</script>", escape_script(PLOTS_JS));
        html.push_str(
            "<script>\nOsteosimPlots.drawAll(JSON.parse(document.getElementById(\"report-data\").textContent));\n</script>\n",
        );
        html.push_str("</body>\n</html>\n");
        Ok(html)
    }
}

fn render_table(html: &mut String, t: &Table) {
    html.push_str("<div class=\"table\"><table>\n");
    if let Some(c) = &t.caption {
        let _ = writeln!(html, "<caption>{}</caption>", escape(c));
    }
    html.push_str("<thead><tr>");
    for h in &t.header {
        let _ = write!(html, "<th>{}</th>", escape(h));
    }
    html.push_str("</tr></thead>\n<tbody>\n");
    for row in &t.rows {
        html.push_str("<tr>");
        for c in row {
            let class = c.tone.class();
            if class.is_empty() {
                let _ = write!(html, "<td>{}</td>", escape(&c.text));
            } else {
                let _ = write!(html, "<td class=\"{class}\">{}</td>", escape(&c.text));
            }
        }
        html.push_str("</tr>\n");
    }
    html.push_str("</tbody></table></div>\n");
}

fn render_plot(html: &mut String, p: &Plot, index: usize) {
    let _ = writeln!(
        html,
        "<figure class=\"plot\"><figcaption><strong>{}</strong>{}</figcaption>",
        escape(&p.title),
        p.caption
            .as_ref()
            .map(|c| format!(" {}", escape(c)))
            .unwrap_or_default()
    );
    let _ = writeln!(
        html,
        "<div class=\"chart\" id=\"plot-{index}\" data-plot=\"{index}\" role=\"img\" aria-label=\"{}: {} against {}\"></div>",
        escape(&p.title),
        escape(&p.y.title()),
        escape(&p.x.title())
    );
    if !p.bands.is_empty() || !p.marks.is_empty() || !p.spans.is_empty() {
        html.push_str("<ul class=\"key\">");
        for b in &p.bands {
            let _ = write!(
                html,
                "<li><span class=\"swatch band-{}\"></span>{}</li>",
                b.tone.class(),
                escape(&b.label)
            );
        }
        let mut labels: Vec<&str> = p
            .marks
            .iter()
            .map(|m| m.label.as_str())
            .chain(p.spans.iter().map(|s| s.label.as_str()))
            .collect();
        labels.dedup();
        for l in labels {
            let _ = write!(
                html,
                "<li><span class=\"swatch mark\"></span>{}</li>",
                escape(l)
            );
        }
        html.push_str("</ul>\n");
    }
    html.push_str("</figure>\n");
}

/// Text for HTML element content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Script text that cannot close its `<script>` element early: every `</` becomes `<\/`,
/// which means the same inside JavaScript strings and JSON.
fn escape_script(s: &str) -> String {
    s.replace("</", "<\\/")
}

/// The JSON document embedded in a rendered page (`datasets` and `plots`), for tests and
/// tools that read a report back.
pub fn embedded_data(html: &str) -> Option<Value> {
    let open = "<script type=\"application/json\" id=\"report-data\">";
    let start = html.find(open)? + open.len();
    let end = start + html[start..].find("</script>")?;
    let json = html[start..end].replace("<\\/", "</");
    serde_json::from_str(&json).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample() -> Report {
        let mut r = Report::new("A <test>", "sub");
        r.datasets.insert(
            "run".into(),
            Dataset::from_rows(
                &["t".to_string(), "y".to_string()],
                &[vec![0.0, 1.5], vec![1.0, f64::NAN], vec![2.0, 0.1 + 0.2]],
                |n| if n == "t" { "d".into() } else { "ng/mL".into() },
            ),
        );
        let mut s = Section::new("Values </script>");
        s.push(Block::Plot(Box::new(
            Plot::new("y over t", Axis::new("time", "d"), Axis::new("y", "ng/mL"))
                .with_series(Series::new(
                    "y",
                    Values::column("run", "t"),
                    Values::column("run", "y"),
                ))
                .with_band(Some(-1.0), None, "normal", Tone::Good),
        )));
        s.push(Block::Table(Table {
            caption: None,
            header: vec!["a".into()],
            rows: vec![vec![Cell::toned("pass", Tone::Good)]],
        }));
        r.sections.push(s);
        r
    }

    #[test]
    fn the_page_holds_its_data_and_everything_it_needs() {
        let html = sample().render().unwrap();
        let data = embedded_data(&html).expect("embedded data");
        let col = &data["datasets"]["run"]["columns"][1];
        assert_eq!(col["name"], "y");
        assert_eq!(col["unit"], "ng/mL");
        assert_eq!(col["values"][0].as_f64(), Some(1.5));
        assert!(col["values"][1].is_null(), "NaN becomes a gap");
        assert_eq!(col["values"][2].as_f64(), Some(0.1 + 0.2), "exact numbers");
        assert_eq!(data["plots"][0]["bands"][0]["label"], "normal");
        // Self-contained: no external script, style or font.
        assert!(!html.contains("src=\""), "no external scripts");
        assert!(!html.contains("<link"), "no external styles");
        assert!(
            !html.contains("url(http") && !html.contains("@import"),
            "no remote styles"
        );
        assert!(!html.contains("href=\"http"), "no remote links");
        assert!(html.contains("uPlot"));
        // Text is escaped, and nothing closes a script early.
        assert!(html.contains("A &lt;test&gt;"));
        assert!(html.contains("Values &lt;/script&gt;"));
        assert_eq!(
            html.matches("<script").count(),
            html.matches("</script>").count()
        );
        assert!(html.contains("<td class=\"good\">pass</td>"));
        assert!(html.contains("id=\"plot-0\""));
    }

    #[test]
    fn references_that_do_not_resolve_are_refused_by_name() {
        let mut r = sample();
        if let Some(Block::Plot(p)) = r.sections[0].blocks.first_mut() {
            p.series.push(Series::new(
                "z",
                Values::column("run", "t"),
                Values::column("run", "z"),
            ));
        }
        assert_eq!(
            r.render().unwrap_err(),
            ReportError::NoColumn {
                plot: "y over t".into(),
                series: "z".into(),
                dataset: "run".into(),
                column: "z".into()
            }
        );
        let mut r = sample();
        if let Some(Block::Plot(p)) = r.sections[0].blocks.first_mut() {
            p.series.push(Series::new(
                "short",
                Values::column("run", "t"),
                Values::inline(vec![1.0]),
            ));
        }
        let e = r.render().unwrap_err().to_string();
        assert!(e.contains("3 x values but 1 y values"), "{e}");
        let mut r = sample();
        if let Some(Block::Plot(p)) = r.sections[0].blocks.first_mut() {
            p.series[0].x = Values::column("other", "t");
        }
        assert!(matches!(r.render(), Err(ReportError::NoDataset { .. })));
    }

    #[test]
    fn escaping_covers_markup_and_quotes() {
        assert_eq!(escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&#39;");
        assert_eq!(escape_script("x</script>y"), "x<\\/script>y");
    }
}
