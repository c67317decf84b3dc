//! The eligibility table of [`crate::eligibility`] rendered for a provider team: aligned text
//! for people, or one JSON document for programs. It needs no configuration and no
//! credentials, and makes no cloud calls.

use std::fmt::Write as _;

use serde_json::{Value, json};

use crate::eligibility::{Allowed, RULES, RULES_VERSION, Rule};

/// How `crossbind-provider rules` prints the table.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// A text table for people.
    Human,
    /// One JSON document for programs.
    Json,
}

/// The arguments of `crossbind-provider rules`.
#[derive(Clone, Debug, clap::Args)]
pub struct RulesArgs {
    /// Output format.
    #[arg(long, value_enum, default_value = "human")]
    pub output: Format,
}

/// The table in `format`, ending with a newline.
pub fn render(format: Format) -> String {
    match format {
        Format::Human => human(),
        Format::Json => {
            let mut out = serde_json::to_string_pretty(&to_json()).unwrap_or_default();
            out.push('\n');
            out
        }
    }
}

/// The table as JSON: `{"version": .., "rules": [{"id", "reason", "checks", "allowed":
/// {"one_of" | "none_of": [..]}, "advice", "source"}, ..]}`.
pub fn to_json() -> Value {
    json!({
        "version": RULES_VERSION,
        "rules": RULES.iter().map(rule_json).collect::<Vec<_>>(),
    })
}

fn rule_json(rule: &Rule) -> Value {
    let allowed = match rule.allowed {
        Allowed::OneOf(values) => json!({ "one_of": values }),
        Allowed::NoneOf(values) => json!({ "none_of": values }),
    };
    json!({
        "id": rule.id,
        "reason": rule.reason.as_str_name(),
        "checks": rule.checks,
        "allowed": allowed,
        "advice": rule.advice,
        "source": rule.source,
    })
}

fn allowed_text(allowed: Allowed) -> String {
    match allowed {
        Allowed::OneOf(values) => values.join(" or "),
        Allowed::NoneOf(values) => format!("anything but {}", values.join(", ")),
    }
}

fn human() -> String {
    let mut out = format!(
        "crossbind eligibility rules, version {RULES_VERSION} ({} rules)\n",
        RULES.len()
    );
    let id_width = RULES.iter().map(|r| r.id.len()).max().unwrap_or(0);
    for rule in RULES {
        let indent = " ".repeat(id_width + 2);
        // Writing to a String cannot fail.
        let _ = write!(
            out,
            "\n{id:<id_width$}  {reason}\n{indent}checks:  {checks}\n{indent}allowed: {allowed}\n\
             {indent}advice:  {advice}\n{indent}source:  {source}\n",
            id = rule.id,
            reason = rule.reason.as_str_name(),
            checks = rule.checks,
            allowed = allowed_text(rule.allowed),
            advice = rule.advice,
            source = rule.source,
        );
    }
    out
}
