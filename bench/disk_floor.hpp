// The disk's single-commit floor: commits per second of a 4 KiB page rewritten in place in a file of fixed size and
// fdatasync'ed, as a WAL commit does once the log has reached its working size. Every durable write that waits for
// its own commit stands on it; writes that share commits can pass it.
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

#include "jpp/invoice.hpp"

namespace bench {

inline double disk_commit_rate(const std::filesystem::path& directory, double seconds) {
    using Clock = std::chrono::steady_clock;
    const auto path = directory / ("jpp-bench-fsync-" + jpp::InvoiceId::generate().hex());
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return 0;
    constexpr std::size_t pages = 1024;
    const std::vector<char> page(4096, 'x');
    for (std::size_t i = 0; i < pages; ++i)
        if (::write(fd, page.data(), page.size()) != static_cast<ssize_t>(page.size())) break;
    ::fsync(fd);
    std::size_t commits = 0;
    const auto start = Clock::now();
    const auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - start).count(); };
    while (elapsed() < seconds) {
        const auto offset = static_cast<off_t>((commits % pages) * page.size());
        if (::pwrite(fd, page.data(), page.size(), offset) != static_cast<ssize_t>(page.size()) ||
            ::fdatasync(fd) != 0)
            break;
        ++commits;
    }
    const double rate = static_cast<double>(commits) / elapsed();
    ::close(fd);
    std::filesystem::remove(path);
    return rate;
}

}  // namespace bench
