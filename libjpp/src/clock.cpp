#include "jpp/clock.hpp"

#include <algorithm>
#include <cstdio>

namespace jpp {
namespace {

bool read_digits(std::string_view text, std::size_t at, std::size_t count, int& out) {
    if (at + count > text.size()) return false;
    int value = 0;
    for (std::size_t i = at; i < at + count; ++i) {
        if (text[i] < '0' || text[i] > '9') return false;
        value = value * 10 + (text[i] - '0');
    }
    out = value;
    return true;
}

Error bad_time(std::string_view text, std::string why) {
    return make_error(Errc::invalid_argument, "invalid RFC 3339 time '" + std::string(text.substr(0, 64)) + "': " + why);
}

}  // namespace

std::string to_rfc3339(Timestamp t) {
    const auto day = std::chrono::floor<std::chrono::days>(t);
    const std::chrono::year_month_day date(day);
    const std::chrono::hh_mm_ss time(t - day);
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(date.year()),
                  static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                  static_cast<int>(time.hours().count()), static_cast<int>(time.minutes().count()),
                  static_cast<int>(time.seconds().count()));
    return buffer;
}

Result<Timestamp> parse_rfc3339(std::string_view text) {
    int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
    if (!read_digits(text, 0, 4, y) || text.size() < 19 || text[4] != '-' || !read_digits(text, 5, 2, mo) ||
        text[7] != '-' || !read_digits(text, 8, 2, d) || (text[10] != 'T' && text[10] != 't') ||
        !read_digits(text, 11, 2, h) || text[13] != ':' || !read_digits(text, 14, 2, mi) || text[16] != ':' ||
        !read_digits(text, 17, 2, s))
        return bad_time(text, "expected YYYY-MM-DDTHH:MM:SS");
    const std::chrono::year_month_day date{std::chrono::year(y), std::chrono::month(static_cast<unsigned>(mo)),
                                           std::chrono::day(static_cast<unsigned>(d))};
    if (!date.ok() || h > 23 || mi > 59 || s > 60) return bad_time(text, "no such date or time of day");
    std::size_t at = 19;
    if (at < text.size() && text[at] == '.') {
        ++at;
        const std::size_t digits_start = at;
        while (at < text.size() && text[at] >= '0' && text[at] <= '9') ++at;
        if (at == digits_start) return bad_time(text, "empty fraction of a second");
    }
    int offset_minutes = 0;
    if (at < text.size() && (text[at] == 'Z' || text[at] == 'z')) {
        ++at;
    } else if (at < text.size() && (text[at] == '+' || text[at] == '-')) {
        int oh = 0, om = 0;
        if (!read_digits(text, at + 1, 2, oh) || at + 3 >= text.size() || text[at + 3] != ':' ||
            !read_digits(text, at + 4, 2, om) || oh > 23 || om > 59)
            return bad_time(text, "bad UTC offset");
        offset_minutes = (text[at] == '+' ? 1 : -1) * (oh * 60 + om);
        at += 6;
    } else {
        return bad_time(text, "missing time zone (Z or +hh:mm)");
    }
    if (at != text.size()) return bad_time(text, "unexpected characters after the time");
    const auto seconds = std::chrono::sys_days(date).time_since_epoch() + std::chrono::hours(h) +
                         std::chrono::minutes(mi) + std::chrono::seconds(std::min(s, 59)) -
                         std::chrono::minutes(offset_minutes);
    return Timestamp(std::chrono::duration_cast<std::chrono::seconds>(seconds));
}

Timestamp SystemClock::now_rounded_up() const {
    return std::chrono::ceil<std::chrono::seconds>(std::chrono::system_clock::now());
}

Timestamp SystemClock::now() const {
    return std::chrono::time_point_cast<std::chrono::seconds>(std::chrono::system_clock::now());
}

}  // namespace jpp
