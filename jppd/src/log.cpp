#include "log.hpp"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <string>
#include <thread>

#include "json_text.hpp"

namespace jppd {

namespace {

std::atomic<int> current_level{static_cast<int>(LogLevel::info)};
std::atomic<bool> json_lines{false};

constexpr std::string_view level_names[] = {"error", "warn", "info", "debug"};

void write_all(std::string_view bytes) {
    for (std::size_t off = 0; off < bytes.size();) {
        const ssize_t w = ::write(STDERR_FILENO, bytes.data() + off, bytes.size() - off);
        if (w <= 0) return;  // nowhere to log to: the daemon goes on
        off += static_cast<std::size_t>(w);
    }
}

// Lines of log_soon() not yet written, and the thread that writes them at least every `flush_interval`. Never
// destroyed: the flusher may run until the process ends.
struct Pending {
    static constexpr std::size_t flush_bytes = 16 * 1024;
    static constexpr std::chrono::milliseconds flush_interval{100};

    std::mutex mutex;
    std::string lines;

    void flush_locked() {
        if (lines.empty()) return;
        write_all(lines);
        lines.clear();
    }
};

Pending& pending() {
    static Pending* p = [] {
        auto* made = new Pending;
        std::thread([made] {
            for (;;) {
                std::this_thread::sleep_for(Pending::flush_interval);
                std::lock_guard lock(made->mutex);
                made->flush_locked();
            }
        }).detach();
        return made;
    }();
    return *p;
}

std::string format_line(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
    const auto now = std::chrono::system_clock::now();
    const std::time_t seconds = std::chrono::system_clock::to_time_t(now);
    const auto millis =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
    // The date and time to the second, formatted once a second by each thread.
    thread_local std::time_t stamped = -1;
    thread_local char stamp[40];
    thread_local std::size_t n = 0;
    if (seconds != stamped) {
        std::tm tm{};
        gmtime_r(&seconds, &tm);
        n = std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
        stamped = seconds;
    }
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
    return line;
}

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
    const std::string line = format_line(level, message, fields);
    Pending& p = pending();
    std::lock_guard lock(p.mutex);
    p.flush_locked();  // what log_soon() holds came first
    write_all(line);
}

void log_soon(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
    if (!log_enabled(level)) return;
    const std::string line = format_line(level, message, fields);
    Pending& p = pending();
    std::lock_guard lock(p.mutex);
    p.lines += line;
    if (p.lines.size() >= Pending::flush_bytes) p.flush_locked();
}

}  // namespace jppd
