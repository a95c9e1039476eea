// The daemon's log: one line per event on stderr, greppable. As text,
// "<UTC time> <level> <message>"; as JSON (--log-format json, for log shippers), one object per line:
// {"time": ..., "level": ..., "msg": ...} and the line's fields, such as a request's method, status and id.
#pragma once

#include <initializer_list>
#include <string_view>

namespace jppd {

enum class LogLevel { error = 0, warn = 1, info = 2, debug = 3 };
enum class LogFormat { text, json };

// "error" / "warn" / "info" / "debug"; false if `name` is none of them.
bool parse_log_level(std::string_view name, LogLevel& level);
void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);
// "text" / "json"; false if `name` is neither.
bool parse_log_format(std::string_view name, LogFormat& format);
void set_log_format(LogFormat format);

// A field of a JSON log line; a number is written unquoted (its text must be a JSON number).
struct LogField {
    std::string_view key;
    std::string_view value;
    bool number = false;
};

// Writes one line (a single write(2), so lines from several threads never interleave). The fields appear in JSON
// lines only: a text line is the message alone, which should say what matters.
void log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});
// Like log(), but the line may wait up to 100 ms (or 16 KiB of lines) to be written with others in one write(2):
// for the request log, one line per request, which would otherwise cost a system call each. A line of log() writes
// the waiting ones first, so the log keeps its order. A crash loses at most the last 100 ms of these lines.
void log_soon(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});

inline void log_error(std::string_view m) { log(LogLevel::error, m); }
inline void log_warn(std::string_view m) { log(LogLevel::warn, m); }
inline void log_info(std::string_view m) { log(LogLevel::info, m); }
inline void log_debug(std::string_view m) { log(LogLevel::debug, m); }

}  // namespace jppd
