// Any bytes from a WebSocket client: the frame reader never crashes, never takes more than it is given, fails
// only with a close code a server may send, and reaches the same verdict however the bytes are split.
#include <cstdlib>
#include <string>

#include "ws/frame.hpp"
#include "ws/frame_reader.hpp"

namespace {

std::string read(const std::uint8_t* data, std::size_t size, std::size_t piece) {
    jppd::ws::FrameReader reader(1024);
    std::string trace;
    std::size_t offset = 0;
    while (offset < size) {
        const std::size_t n = std::min(piece, size - offset);
        const std::size_t used = reader.feed(data + offset, n);
        if (used > n) std::abort();
        offset += used;
        switch (reader.state()) {
            case jppd::ws::FrameReader::State::failed:
                if (!jppd::ws::valid_close_code(reader.error_code())) std::abort();
                return trace + "failed " + std::to_string(reader.error_code());
            case jppd::ws::FrameReader::State::control:
                trace += std::to_string(static_cast<int>(reader.control_opcode())) + ":" +
                         std::string(reader.control_payload()) + ";";
                if (reader.control_payload().size() > 125) std::abort();
                reader.next();
                break;
            case jppd::ws::FrameReader::State::need_more:
                if (used < n) std::abort();  // needing more means everything given was used
                break;
        }
    }
    return trace + "messages " + std::to_string(reader.messages());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    if (size < 1) return 0;
    const std::size_t piece = 1 + data[0] % 16;
    if (read(data + 1, size - 1, size) != read(data + 1, size - 1, piece)) std::abort();
    return 0;
}
