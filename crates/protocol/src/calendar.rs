//! Calendar dates of day counts: the one place Sightline turns days since 1970-01-01
//! into a year, month and day (file partitions, API timestamps, token dates).

/// The (year, month 1–12, day 1–31) of `days` since 1970-01-01, in the proleptic
/// Gregorian calendar; negative counts are days before 1970. Howard Hinnant's
/// `civil_from_days`: exact for every `i64` day count that fits a year in `i64`.
pub fn civil_from_days(days: i64) -> (i64, i64, i64) {
    let shifted = days + 719_468; // day 0 of the algorithm is 0000-03-01
    let era = shifted.div_euclid(146_097);
    let day_of_era = shifted.rem_euclid(146_097);
    let year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153; // 0 is March
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 { month_index + 3 } else { month_index - 9 };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `YYYY-MM-DD` of `days` since 1970-01-01.
pub fn date_of_day(days: i64) -> String {
    let (year, month, day) = civil_from_days(days);
    format!("{year:04}-{month:02}-{day:02}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_days_have_their_dates() {
        for (days, date) in [
            (0, "1970-01-01"),
            (-1, "1969-12-31"),
            (59, "1970-03-01"),
            (10_956, "1999-12-31"),
            (11_016, "2000-02-29"),
            (11_017, "2000-03-01"),
            (20_427, "2025-12-05"),
            (-719_468, "0000-03-01"),
        ] {
            assert_eq!(date_of_day(days), date, "day {days}");
        }
    }

    #[test]
    fn consecutive_days_step_through_every_date_once() {
        let days_in = |year: i64, month: i64| match month {
            2 if (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 => 29,
            2 => 28,
            4 | 6 | 9 | 11 => 30,
            _ => 31,
        };
        let mut expected = (1899, 12, 31);
        for days in -25_567..=200_000 {
            let (year, month, day) = expected;
            expected = if day < days_in(year, month) {
                (year, month, day + 1)
            } else if month < 12 {
                (year, month + 1, 1)
            } else {
                (year + 1, 1, 1)
            };
            assert_eq!(civil_from_days(days), expected, "day {days}");
        }
    }
}
