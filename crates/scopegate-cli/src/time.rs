//! Times as people read them: `2026-12-03 18:40:00 UTC (in 4m 12s)`.

/// `secs` (since the epoch) as a UTC date and time, and how far from `now`.
pub(crate) fn human(secs: u64, now: u64) -> String {
    let relative = if secs == now {
        "now".to_owned()
    } else if secs > now {
        format!("in {}", span(secs - now))
    } else {
        format!("{} ago", span(now - secs))
    };
    format!("{} ({relative})", utc(secs))
}

/// `secs` since the epoch as `YYYY-MM-DD hh:mm:ss UTC`.
pub(crate) fn utc(secs: u64) -> String {
    let days = secs / 86_400;
    let rest = secs % 86_400;
    let (year, month, day) = civil_from_days(days);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02} UTC",
        rest / 3600,
        rest % 3600 / 60,
        rest % 60
    )
}

/// A duration in its two largest units: `3d 4h`, `4m 12s`, `9s`.
pub(crate) fn span(secs: u64) -> String {
    let units = [(86_400, "d"), (3600, "h"), (60, "m"), (1, "s")];
    let mut parts = Vec::new();
    let mut rest = secs;
    for (size, name) in units {
        if rest >= size || (parts.is_empty() && size == 1) {
            parts.push(format!("{}{name}", rest / size));
            rest %= size;
        }
        if parts.len() == 2 || (!parts.is_empty() && rest == 0) {
            break;
        }
    }
    parts.join(" ")
}

/// The proleptic Gregorian date of `days` since 1970-01-01 (Howard Hinnant's algorithm).
fn civil_from_days(days: u64) -> (u64, u64, u64) {
    let z = days + 719_468;
    let era = z / 146_097;
    let day_of_era = z % 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 { shifted_month + 3 } else { shifted_month - 9 };
    let year = year_of_era + era * 400 + u64::from(month <= 2);
    (year, month, day)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_and_spans() {
        assert_eq!(utc(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(utc(951_782_400), "2000-02-29 00:00:00 UTC");
        assert_eq!(utc(1_796_086_861), "2026-12-01 01:01:01 UTC");
        assert_eq!(utc(4_107_542_399), "2100-02-28 23:59:59 UTC");
        assert_eq!(span(0), "0s");
        assert_eq!(span(9), "9s");
        assert_eq!(span(252), "4m 12s");
        assert_eq!(span(3600), "1h");
        assert_eq!(span(3 * 86_400 + 4 * 3600 + 5), "3d 4h");
        assert_eq!(human(1_000, 1_252), "1970-01-01 00:16:40 UTC (4m 12s ago)");
        assert_eq!(human(1_252, 1_000), "1970-01-01 00:20:52 UTC (in 4m 12s)");
        assert_eq!(human(1_000, 1_000), "1970-01-01 00:16:40 UTC (now)");
    }
}
