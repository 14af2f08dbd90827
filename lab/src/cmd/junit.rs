//! JUnit XML reports (`--junit FILE` on `netlab bench`, `chaos`, `validate` and
//! `calibrate`): one `<testcase>` per mode and transport, scenario, check or figure, in
//! the shape GitLab, Jenkins and GitHub's test reporters read: a `<testsuites>` root
//! holding one `<testsuite>` with its counts, each case with its time, and a `<failure>`
//! whose message is the check's verdict and text.

use std::fmt::Write as _;
use std::path::Path;

/// One scenario or check.
#[derive(Debug, Clone, PartialEq)]
pub struct Case {
    /// Its name (the scenario or check name).
    pub name: String,
    /// Seconds it took, when measured.
    pub time_s: Option<f64>,
    /// Why it failed: `None` when it passed.
    pub failure: Option<String>,
    /// What it saw (the bad path and good path, the figures), kept as the case's output.
    pub output: String,
}

impl Case {
    /// A case that passed when `ok`, else failed with `why`.
    pub fn new(name: &str, ok: bool, why: String, output: String, time_s: Option<f64>) -> Self {
        Self {
            name: name.to_string(),
            time_s,
            failure: (!ok).then_some(why),
            output,
        }
    }
}

/// The report of the cases of suite `suite` (`netlab.chaos` and the like; also each case's
/// class name, so tools group them under it).
pub fn render(suite: &str, cases: &[Case]) -> String {
    let failures = cases.iter().filter(|c| c.failure.is_some()).count();
    let total: f64 = cases.iter().filter_map(|c| c.time_s).sum();
    let stamp = netpool_bench::html::utc_now_iso();
    let mut s = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let _ = writeln!(
        s,
        "<testsuites name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" time=\"{total:.3}\">",
        esc(suite),
        cases.len()
    );
    let _ = writeln!(
        s,
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{failures}\" errors=\"0\" skipped=\"0\" time=\"{total:.3}\" timestamp=\"{stamp}\">",
        esc(suite),
        cases.len()
    );
    for c in cases {
        let _ = write!(
            s,
            "    <testcase classname=\"{}\" name=\"{}\" time=\"{:.3}\">",
            esc(suite),
            esc(&c.name),
            c.time_s.unwrap_or(0.0)
        );
        if let Some(why) = &c.failure {
            let _ = write!(
                s,
                "\n      <failure message=\"{}\" type=\"failure\">{}</failure>",
                esc(why),
                esc(why)
            );
        }
        if !c.output.is_empty() {
            let _ = write!(s, "\n      <system-out>{}</system-out>", esc(&c.output));
        }
        let end = if c.failure.is_some() || !c.output.is_empty() {
            "\n    "
        } else {
            ""
        };
        let _ = writeln!(s, "{end}</testcase>");
    }
    s.push_str("  </testsuite>\n</testsuites>\n");
    s
}

/// Write the report to `path` (a temporary file, then a rename); errors name the file.
pub fn write(path: &Path, suite: &str, cases: &[Case]) -> Result<(), String> {
    super::write_atomic(path, &render(suite, cases))
}

/// Text for an attribute or element: markup escaped, and the characters XML 1.0 cannot
/// carry at all (control characters other than tab and newlines) replaced by U+FFFD, so a
/// device's garbage cannot make the report unreadable.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\t' | '\n' | '\r' => out.push(ch),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_failures_and_escapes_what_cases_carry() {
        let cases = [
            Case::new(
                "passes",
                true,
                String::new(),
                "good path: ok".into(),
                Some(1.5),
            ),
            Case::new(
                "fails",
                false,
                "FAIL: <rpc-error> & \"quotes\"\u{1}".into(),
                "bad path: ]]>]]>".into(),
                None,
            ),
        ];
        let x = render("netlab.chaos", &cases);
        assert!(
            x.contains("<testsuites name=\"netlab.chaos\" tests=\"2\" failures=\"1\""),
            "{x}"
        );
        assert!(
            x.contains("tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\" time=\"1.500\""),
            "{x}"
        );
        assert_eq!(x.matches("<testcase ").count(), 2, "{x}");
        assert_eq!(x.matches("<failure ").count(), 1, "{x}");
        assert!(
            x.contains("name=\"passes\" time=\"1.500\">\n      <system-out>good path: ok</system-out>\n    </testcase>"),
            "{x}"
        );
        assert!(
            x.contains("message=\"FAIL: &lt;rpc-error&gt; &amp; &quot;quotes&quot;\u{FFFD}\""),
            "{x}"
        );
        assert!(
            x.contains("<system-out>bad path: ]]&gt;]]&gt;</system-out>"),
            "{x}"
        );
        assert!(!x.contains('\u{1}'));
    }
}
