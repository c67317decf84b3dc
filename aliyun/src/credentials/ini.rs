//! A minimal INI reader for the credentials file: `[section]` headers, `key = value` pairs and
//! `#` / `;` comments (whole-line, or after whitespace). No escapes, quoting or continuation lines.

use std::collections::HashMap;

/// Sections by name, each a map of keys to values.
pub(super) type Sections = HashMap<String, HashMap<String, String>>;

/// Parses `text`; on a malformed line returns its 1-based number (never its content, which may
/// hold a secret).
pub(super) fn parse(text: &str) -> Result<Sections, usize> {
    let mut sections = Sections::new();
    let mut current: Option<String> = None;
    for (index, raw) in text.lines().enumerate() {
        let line = strip_comment(raw).trim();
        if line.is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[') {
            let name = name.strip_suffix(']').ok_or(index + 1)?.trim();
            if name.is_empty() {
                return Err(index + 1);
            }
            sections.entry(name.to_owned()).or_default();
            current = Some(name.to_owned());
            continue;
        }
        let (key, value) = line.split_once('=').ok_or(index + 1)?;
        let key = key.trim();
        let section = current.as_ref().ok_or(index + 1)?;
        if key.is_empty() {
            return Err(index + 1);
        }
        sections
            .entry(section.clone())
            .or_default()
            .insert(key.to_owned(), value.trim().to_owned());
    }
    Ok(sections)
}

/// Cuts a comment: a line starting with `#`/`;`, or one of those preceded by whitespace.
fn strip_comment(line: &str) -> &str {
    let trimmed = line.trim_start();
    if trimmed.starts_with('#') || trimmed.starts_with(';') {
        return "";
    }
    let bytes = line.as_bytes();
    for (i, b) in bytes.iter().enumerate() {
        if (*b == b'#' || *b == b';') && i > 0 && bytes[i - 1].is_ascii_whitespace() {
            return &line[..i];
        }
    }
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sections_pairs_and_comments() {
        let text = "# top comment\n; another\n[default]\ntype = access_key   # inline\n\
                    access_key_id=AK\naccess_key_secret = s#ecret;x \n\n[other]\nk = v\n";
        let sections = parse(text).unwrap();
        let default = &sections["default"];
        assert_eq!(default["type"], "access_key");
        assert_eq!(default["access_key_id"], "AK");
        assert_eq!(default["access_key_secret"], "s#ecret;x");
        assert_eq!(sections["other"]["k"], "v");
    }

    #[test]
    fn reports_the_bad_line_number() {
        assert_eq!(parse("[a]\nk = v\njunk\n"), Err(3));
        assert_eq!(parse("k = v\n"), Err(1));
        assert_eq!(parse("[a\n"), Err(1));
        assert_eq!(parse("[]\n"), Err(1));
        assert_eq!(parse("[a]\n= v\n"), Err(2));
    }
}
