#include "log.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <string>

#include "json_text.hpp"

namespace jppd {

namespace {

std::atomic<int> current_level{static_cast<int>(LogLevel::info)};
std::atomic<bool> json_lines{false};

constexpr std::string_view level_names[] = {"error", "warn", "info", "debug"};

}  // namespace

bool parse_log_level(std::string_view name, LogLevel& level) {
    for (int i = 0; i < 4; ++i) {
        if (level_names[i] == name) {
            level = static_cast<LogLevel>(i);
            return true;
        }
    }
    return false;
}

void set_log_level(LogLevel level) { current_level.store(static_cast<int>(level), std::memory_order_relaxed); }

bool parse_log_format(std::string_view name, LogFormat& format) {
    if (name != "text" && name != "json") return false;
    format = name == "json" ? LogFormat::json : LogFormat::text;
    return true;
}

void set_log_format(LogFormat format) { json_lines.store(format == LogFormat::json, std::memory_order_relaxed); }

bool log_enabled(LogLevel level) {
    return static_cast<int>(level) <= current_level.load(std::memory_order_relaxed);
}

void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
    if (!log_enabled(level)) return;
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    std::tm tm{};
    gmtime_r(&seconds, &tm);
    char stamp[40];
    const std::size_t n = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
    std::snprintf(stamp + n, sizeof stamp - n, ".%03dZ", static_cast<int>(millis));
    const std::string_view level_name = level_names[static_cast<int>(level)];

    std::string line;
    line.reserve(96 + message.size());
    if (json_lines.load(std::memory_order_relaxed)) {
        line += "{\"time\":\"";
        line += stamp;
        line += "\",\"level\":\"";
        line += level_name;
        line += "\",\"msg\":";
        line += json_quote(message);
        for (const LogField& field : fields) {
            line += ',';
            line += json_quote(field.key);
            line += ':';
            if (field.number) line += field.value;
            else line += json_quote(field.value);
        }
        line += "}\n";
    } else {
        line += stamp;
        line += ' ';
        line += level_name;
        line.append(6 - level_name.size(), ' ');
        line += message;
        line += '\n';
    }
    for (std::size_t off = 0; off < line.size();) {
        const ssize_t w = ::write(STDERR_FILENO, line.data() + off, line.size() - off);
        if (w <= 0) break;  // nowhere to log to: the daemon goes on
        off += static_cast<std::size_t>(w);
    }
}

}  // namespace jppd
