//! Tests of the off-peak grammar and window arithmetic, including daylight-saving changes in
//! `America/New_York` and windows that cross midnight or the end of the week.

use super::*;

fn ts(text: &str) -> Timestamp {
    text.parse().expect("timestamp")
}

fn tz(name: &str) -> TimeZone {
    TimeZone::get(name).expect("time zone")
}

fn windows(texts: &[&str]) -> Vec<Window> {
    texts.iter().map(|t| t.parse().expect("window")).collect()
}

fn next(texts: &[&str], zone: &str, after: &str) -> Option<(String, String)> {
    next_window(&windows(texts), &tz(zone), ts(after)).map(|(s, e)| (s.to_string(), e.to_string()))
}

fn pair(start: &str, end: &str) -> Option<(String, String)> {
    Some((start.to_owned(), end.to_owned()))
}

#[test]
fn the_grammar_accepts_days_ranges_lists_and_seconds() {
    for (text, shown) in [
        ("Mon-Fri 01:00-05:00", "Mon-Fri 01:00-05:00"),
        ("Sat,Sun 00:00-24:00", "Sat,Sun 00:00-24:00"),
        ("22:30-02:00", "22:30-02:00"),
        ("sat, sun 00:00-24:00", "Sat,Sun 00:00-24:00"),
        ("Fri-Mon 23:00:30-01:00", "Mon,Fri-Sun 23:00:30-01:00"),
        ("Mon-Wed,Fri 01:00-02:00", "Mon-Wed,Fri 01:00-02:00"),
        ("Tue 22:00-00:00", "Tue 22:00-24:00"),
        ("Mon - Fri 01:00 - 05:00", "Mon-Fri 01:00-05:00"),
        ("Sat, Sun 00:00-24:00", "Sat,Sun 00:00-24:00"),
    ] {
        let w: Window = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(w.to_string(), shown, "{text}");
    }
}

#[test]
fn the_grammar_refuses_bad_entries_with_the_reason() {
    for (text, expected) in [
        ("", WindowError::Empty),
        ("Mon-Fri", WindowError::BadRange("Mon-Fri".to_owned())),
        ("01:00", WindowError::BadRange("01:00".to_owned())),
        ("25:00-26:00", WindowError::BadTime("25:00".to_owned())),
        ("1:00-05:00", WindowError::BadTime("1:00".to_owned())),
        ("01:60-05:00", WindowError::BadTime("01:60".to_owned())),
        ("01:00-24:01", WindowError::BadTime("24:01".to_owned())),
        ("24:00-05:00", WindowError::StartAtMidnightEnd),
        (
            "Monday 01:00-05:00",
            WindowError::BadDay("Monday".to_owned()),
        ),
        ("Mon,,Tue 01:00-05:00", WindowError::BadDay(String::new())),
        ("Mon,Mon 01:00-05:00", WindowError::DuplicateDay("Mon")),
        ("Mon-Wed,Tue 01:00-05:00", WindowError::DuplicateDay("Tue")),
        (
            "01:00-01:00",
            WindowError::SameStartAndEnd("01:00".to_owned()),
        ),
        (
            "00:00-00:00",
            WindowError::SameStartAndEnd("00:00".to_owned()),
        ),
    ] {
        assert_eq!(text.parse::<Window>(), Err(expected), "{text:?}");
    }
}

#[test]
fn no_windows_means_none() {
    assert_eq!(next(&[], "UTC", "2026-01-15T08:30:00Z"), None);
}

#[test]
fn an_open_window_is_returned_with_its_real_bounds() {
    // Thursday 2026-01-15, 02:30 in Shanghai (UTC+8).
    assert_eq!(
        next(
            &["Mon-Fri 01:00-05:00"],
            "Asia/Shanghai",
            "2026-01-14T18:30:00Z"
        ),
        pair("2026-01-14T17:00:00Z", "2026-01-14T21:00:00Z")
    );
    // The same day after the window: the next weekday's.
    assert_eq!(
        next(
            &["Mon-Fri 01:00-05:00"],
            "Asia/Shanghai",
            "2026-01-14T22:00:00Z"
        ),
        pair("2026-01-15T17:00:00Z", "2026-01-15T21:00:00Z")
    );
    // An end is exclusive: at 05:00 the window is over.
    assert_eq!(
        next(
            &["Mon-Fri 01:00-05:00"],
            "Asia/Shanghai",
            "2026-01-14T21:00:00Z"
        ),
        pair("2026-01-15T17:00:00Z", "2026-01-15T21:00:00Z")
    );
}

#[test]
fn a_midnight_crossing_window_belongs_to_its_start_day() {
    // Friday 22:30 to Saturday 02:00; asked on Saturday 01:00 UTC.
    assert_eq!(
        next(&["Fri 22:30-02:00"], "UTC", "2026-01-17T01:00:00Z"),
        pair("2026-01-16T22:30:00Z", "2026-01-17T02:00:00Z")
    );
    // After it closes, the next one is a week later.
    assert_eq!(
        next(&["Fri 22:30-02:00"], "UTC", "2026-01-17T03:00:00Z"),
        pair("2026-01-23T22:30:00Z", "2026-01-24T02:00:00Z")
    );
}

#[test]
fn the_search_wraps_over_the_week() {
    // Asked on Tuesday 2026-01-13 for a Monday-only window.
    assert_eq!(
        next(&["Mon 01:00-02:00"], "UTC", "2026-01-13T12:00:00Z"),
        pair("2026-01-19T01:00:00Z", "2026-01-19T02:00:00Z")
    );
    // Asked on Sunday for a Fri-Mon window that wraps over the weekend.
    assert_eq!(
        next(&["Fri-Mon 03:00-04:00"], "UTC", "2026-01-18T05:00:00Z"),
        pair("2026-01-19T03:00:00Z", "2026-01-19T04:00:00Z")
    );
}

#[test]
fn of_overlapping_windows_the_one_open_longest_wins() {
    // Saturday 01:00: both the Friday-night window and the all-day Saturday one are open.
    let texts = ["Sat,Sun 00:00-24:00", "22:30-02:00"];
    assert_eq!(
        next(&texts, "UTC", "2026-01-17T01:00:00Z"),
        pair("2026-01-17T00:00:00Z", "2026-01-18T00:00:00Z")
    );
    // Friday noon: the next to open is Friday 22:30, before Saturday's.
    assert_eq!(
        next(&texts, "UTC", "2026-01-16T12:00:00Z"),
        pair("2026-01-16T22:30:00Z", "2026-01-17T02:00:00Z")
    );
}

#[test]
fn spring_forward_shortens_windows_around_the_skipped_hour() {
    // America/New_York skips 02:00-03:00 on Sunday 2026-03-08 (EST -5 to EDT -4).
    let ny = "America/New_York";
    // 01:30 EST to 03:30 EDT: one hour of real time.
    assert_eq!(
        next(&["Sun 01:30-03:30"], ny, "2026-03-08T00:00:00Z"),
        pair("2026-03-08T06:30:00Z", "2026-03-08T07:30:00Z")
    );
    // A start in the skipped hour opens at the jump (03:00 EDT).
    assert_eq!(
        next(&["Sun 02:30-04:00"], ny, "2026-03-08T00:00:00Z"),
        pair("2026-03-08T07:00:00Z", "2026-03-08T08:00:00Z")
    );
    // An end in the skipped hour closes at the jump.
    assert_eq!(
        next(&["Sun 01:00-02:30"], ny, "2026-03-08T00:00:00Z"),
        pair("2026-03-08T06:00:00Z", "2026-03-08T07:00:00Z")
    );
    // A week later the same window is at its usual length again (EDT).
    assert_eq!(
        next(&["Sun 01:30-03:30"], ny, "2026-03-09T00:00:00Z"),
        pair("2026-03-15T05:30:00Z", "2026-03-15T07:30:00Z")
    );
}

#[test]
fn fall_back_counts_the_first_occurrence_of_a_repeated_time() {
    // America/New_York repeats 01:00-02:00 on Sunday 2026-11-01 (EDT -4 to EST -5).
    let ny = "America/New_York";
    // 00:30 EDT to the first 01:30 (EDT).
    assert_eq!(
        next(&["Sun 00:30-01:30"], ny, "2026-11-01T00:00:00Z"),
        pair("2026-11-01T04:30:00Z", "2026-11-01T05:30:00Z")
    );
    // 01:00 EDT to 03:00 EST: three hours of real time.
    assert_eq!(
        next(&["Sun 01:00-03:00"], ny, "2026-11-01T00:00:00Z"),
        pair("2026-11-01T05:00:00Z", "2026-11-01T08:00:00Z")
    );
    // Crossing midnight into the change: Saturday 23:00 EDT to Sunday 03:00 EST.
    assert_eq!(
        next(&["Sat 23:00-03:00"], ny, "2026-11-01T04:00:00Z"),
        pair("2026-11-01T03:00:00Z", "2026-11-01T08:00:00Z")
    );
}

#[test]
fn descriptions_name_the_time_zone() {
    let shanghai = tz("Asia/Shanghai");
    assert_eq!(
        describe(&windows(&["Mon-Fri 01:00-05:00", "22:30-02:00"]), &shanghai),
        "Mon-Fri 01:00-05:00; 22:30-02:00 (every day) (Asia/Shanghai)"
    );
    assert!(describe(&[], &shanghai).contains("no off-peak windows"));
    assert_eq!(
        rfc3339_in(ts("2026-01-14T17:00:00Z"), &shanghai),
        "2026-01-15T01:00:00+08:00"
    );
}
