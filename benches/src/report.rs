//! The figures, as a table on the terminal and as JSON.

use std::fmt::Write as _;

use crate::measure::client_outside_runtime;

/// One measured figure of one workload.
pub(crate) struct Figure {
    pub(crate) name: &'static str,
    pub(crate) unit: &'static str,
    pub(crate) ours: f64,
    /// The least tokio code that does the same job.
    pub(crate) baseline: f64,
    /// For asks: the same baseline with its reply awaited under `tokio::time::timeout(5 s)`,
    /// as our asks run under their default timeout. `ratio` stays against `baseline`.
    pub(crate) baseline_timeout: Option<f64>,
    pub(crate) higher_is_better: bool,
    /// What the baseline is: raw tokio, or raw quinn for the remote workloads.
    pub(crate) against: &'static str,
}

impl Figure {
    /// A figure with no timeout baseline.
    pub(crate) fn new(
        name: &'static str,
        unit: &'static str,
        ours: f64,
        baseline: f64,
        higher_is_better: bool,
    ) -> Self {
        Figure {
            name,
            unit,
            ours,
            baseline,
            baseline_timeout: None,
            higher_is_better,
            against: "tokio",
        }
    }

    /// The same figure, its baseline raw quinn (the remote workloads).
    pub(crate) fn against_quinn(self) -> Self {
        Figure {
            against: "quinn",
            ..self
        }
    }

    /// Ours against the plain baseline, oriented so that 1.0 means "as good as raw tokio"
    /// and above it is better.
    pub(crate) fn ratio(&self) -> f64 {
        self.ratio_to(self.baseline)
    }

    /// Ours against the timeout baseline, oriented as [`ratio`](Self::ratio).
    pub(crate) fn ratio_timeout(&self) -> Option<f64> {
        self.baseline_timeout.map(|b| self.ratio_to(b))
    }

    fn ratio_to(&self, baseline: f64) -> f64 {
        if self.higher_is_better {
            self.ours / baseline
        } else {
            baseline / self.ours
        }
    }
}

pub(crate) fn print_table(figures: &[Figure], quick: bool) {
    println!(
        "actor-core vs raw tokio (remote_*: actor-cluster vs raw quinn), {} (2 workers unless \
         `_current_thread`){}",
        client_label(),
        if quick { ", --quick" } else { "" }
    );
    println!(
        "{:<26} {:>10} {:>10} {:>7} {:>10} {:>7}  unit",
        "workload", "ours", "baseline", "ratio", "+timeout", "ratio"
    );
    for figure in figures {
        let (timeout, ratio_timeout) = match (figure.baseline_timeout, figure.ratio_timeout()) {
            (Some(b), Some(r)) => (human(b), format!("{r:.2}")),
            _ => ("-".to_owned(), "-".to_owned()),
        };
        println!(
            "{:<26} {:>10} {:>10} {:>7.2} {:>10} {:>7}  {}{}",
            figure.name,
            human(figure.ours),
            human(figure.baseline),
            figure.ratio(),
            timeout,
            ratio_timeout,
            figure.unit,
            if figure.higher_is_better {
                ""
            } else {
                " (lower is better)"
            }
        );
    }
    println!(
        "ratio: 1.0 = as good as the baseline; above is better, below is worse. +timeout: the \
         ask baseline with its reply under tokio::time::timeout(5 s), and ours against it"
    );
}

/// Where the client sides ran, for the table and the JSON.
fn client_label() -> &'static str {
    if client_outside_runtime() {
        "client side OUTSIDE the runtime, on block_on's thread"
    } else {
        "client side on a runtime worker"
    }
}

fn human(value: f64) -> String {
    if value >= 1e6 {
        format!("{:.2}M", value / 1e6)
    } else if value >= 1e4 {
        format!("{:.1}k", value / 1e3)
    } else {
        format!("{value:.1}")
    }
}

/// `{"workloads": [{"name", "unit", "against", "ours", "baseline", "ratio",
/// "higher_is_better"}, ..]}`,
/// plus `baseline_timeout` and `ratio_timeout` on the ask figures and `client`, where the
/// client sides ran.
pub(crate) fn to_json(figures: &[Figure]) -> String {
    let mut out = format!("{{\"client\": \"{}\",\n\"workloads\": [\n", client_label());
    for (i, f) in figures.iter().enumerate() {
        let sep = if i + 1 == figures.len() { "" } else { "," };
        let timeout = match (f.baseline_timeout, f.ratio_timeout()) {
            (Some(b), Some(r)) => format!(
                ", \"baseline_timeout\": {}, \"ratio_timeout\": {}",
                json_number(b),
                json_number(r)
            ),
            _ => String::new(),
        };
        let _ = writeln!(
            out,
            "  {{\"name\": \"{}\", \"unit\": \"{}\", \"against\": \"{}\", \"ours\": {}, \"baseline\": {}, \"ratio\": {}, \"higher_is_better\": {}{timeout}}}{sep}",
            f.name,
            f.unit,
            f.against,
            json_number(f.ours),
            json_number(f.baseline),
            json_number(f.ratio()),
            f.higher_is_better
        );
    }
    out.push_str("]}\n");
    out
}

fn json_number(value: f64) -> String {
    if value.is_finite() {
        format!("{value:.6e}")
    } else {
        "null".to_owned()
    }
}
