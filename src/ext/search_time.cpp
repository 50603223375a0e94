#include <berth/ext/search_time.h>

#include <cstdio>

namespace berth::ext {

namespace {

constexpr std::int64_t ns_per_second = 1'000'000'000;

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
std::int64_t days_from_civil(std::int64_t year, unsigned month, unsigned day) {
    year -= month <= 2 ? 1 : 0;
    const std::int64_t era = (year >= 0 ? year : year - 399) / 400;
    const auto year_of_era = static_cast<unsigned>(year - era * 400);
    const unsigned day_of_year = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    const unsigned day_of_era =
        year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + static_cast<std::int64_t>(day_of_era) - 719468;
}

struct Civil {
    std::int64_t year;
    unsigned month;
    unsigned day;
};

Civil civil_from_days(std::int64_t days) {
    days += 719468;
    const std::int64_t era = (days >= 0 ? days : days - 146096) / 146097;
    const auto day_of_era = static_cast<unsigned>(days - era * 146097);
    const unsigned year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    const unsigned day_of_year =
        day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    const unsigned mp = (5 * day_of_year + 2) / 153;
    const unsigned day = day_of_year - (153 * mp + 2) / 5 + 1;
    const unsigned month = mp < 10 ? mp + 3 : mp - 9;
    const std::int64_t year = static_cast<std::int64_t>(year_of_era) + era * 400;
    return Civil{month <= 2 ? year + 1 : year, month, day};
}

bool digits(std::string_view text, std::size_t at, std::size_t count, int& value) {
    if (at + count > text.size()) {
        return false;
    }
    value = 0;
    for (std::size_t i = at; i < at + count; ++i) {
        if (text[i] < '0' || text[i] > '9') {
            return false;
        }
        value = value * 10 + (text[i] - '0');
    }
    return true;
}

} // namespace

std::optional<std::int64_t> parse_rfc3339(std::string_view text) {
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (!digits(text, 0, 4, year) || text.size() < 20 || text[4] != '-' ||
        !digits(text, 5, 2, month) || text[7] != '-' || !digits(text, 8, 2, day) ||
        (text[10] != 'T' && text[10] != 't' && text[10] != ' ') || !digits(text, 11, 2, hour) ||
        text[13] != ':' || !digits(text, 14, 2, minute) || text[16] != ':' ||
        !digits(text, 17, 2, second)) {
        return std::nullopt;
    }
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
        return std::nullopt;
    }
    std::size_t at = 19;
    std::int64_t fraction = 0;
    if (at < text.size() && text[at] == '.') {
        std::int64_t scale = ns_per_second;
        std::size_t start = ++at;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9') {
            if (scale > 1) {
                scale /= 10;
                fraction += (text[at] - '0') * scale;
            }
            ++at;
        }
        if (at == start) {
            return std::nullopt;
        }
    }
    std::int64_t offset_seconds = 0;
    if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
        ++at;
    } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
        int offset_hours = 0, offset_minutes = 0;
        if (!digits(text, at + 1, 2, offset_hours) || at + 3 >= text.size() ||
            text[at + 3] != ':' || !digits(text, at + 4, 2, offset_minutes)) {
            return std::nullopt;
        }
        offset_seconds = (offset_hours * 60 + offset_minutes) * 60 * (text[at] == '-' ? -1 : 1);
        at += 6;
    } else {
        return std::nullopt;
    }
    if (at != text.size()) {
        return std::nullopt;
    }
    std::int64_t days =
        days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
    std::int64_t seconds = days * 86400 + hour * 3600 + minute * 60 + second - offset_seconds;
    return seconds * ns_per_second + fraction;
}

std::string format_rfc3339(std::optional<std::int64_t> unix_ns) {
    if (!unix_ns) {
        return "0001-01-01T00:00:00Z";
    }
    std::int64_t seconds = *unix_ns / ns_per_second;
    std::int64_t fraction = *unix_ns % ns_per_second;
    if (fraction < 0) {
        fraction += ns_per_second;
        seconds -= 1;
    }
    std::int64_t days = seconds / 86400;
    std::int64_t in_day = seconds % 86400;
    if (in_day < 0) {
        in_day += 86400;
        days -= 1;
    }
    Civil civil = civil_from_days(days);
    char text[64];
    int length = std::snprintf(text, sizeof text, "%04lld-%02u-%02uT%02lld:%02lld:%02lld",
                               static_cast<long long>(civil.year), civil.month, civil.day,
                               static_cast<long long>(in_day / 3600),
                               static_cast<long long>(in_day / 60 % 60),
                               static_cast<long long>(in_day % 60));
    std::string out(text, static_cast<std::size_t>(length));
    if (fraction != 0) {
        char digits_text[16];
        std::snprintf(digits_text, sizeof digits_text, ".%09lld", static_cast<long long>(fraction));
        std::string fraction_text(digits_text);
        while (fraction_text.back() == '0') {
            fraction_text.pop_back();
        }
        out += fraction_text;
    }
    return out + "Z";
}

} // namespace berth::ext
