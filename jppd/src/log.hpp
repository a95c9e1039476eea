// The daemon's log: one line per event on stderr, "<UTC time> <level> <message>", greppable and unbuffered.
#pragma once

#include <string_view>

namespace jppd {

enum class LogLevel { error = 0, warn = 1, info = 2, debug = 3 };

// "error" / "warn" / "info" / "debug"; false if `name` is none of them.
bool parse_log_level(std::string_view name, LogLevel& level);
void set_log_level(LogLevel level);
bool log_enabled(LogLevel level);

// Writes one line (a single write(2), so lines from several threads never interleave).
void log(LogLevel level, std::string_view message);

inline void log_error(std::string_view m) { log(LogLevel::error, m); }
inline void log_warn(std::string_view m) { log(LogLevel::warn, m); }
inline void log_info(std::string_view m) { log(LogLevel::info, m); }
inline void log_debug(std::string_view m) { log(LogLevel::debug, m); }

}  // namespace jppd
