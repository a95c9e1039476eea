// Reads a client's frames from the byte stream, in pieces of any size, keeping no more than one control frame's
// payload. It enforces what RFC 6455 asks of a server's peer: masked frames, no reserved bits or opcodes (no
// extension is negotiated), short unfragmented control frames, continuation frames only inside a fragmented
// message, minimal length encodings, valid UTF-8 in text, and a bound on message size. Data messages are
// checked and dropped (the endpoint is read-only); control frames are handed to the caller one at a time.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ws/frame.hpp"
#include "ws/utf8.hpp"

namespace jppd::ws {

class FrameReader {
public:
    enum class State : std::uint8_t {
        need_more,  // everything given was consumed
        control,    // a ping, pong or close frame is complete: act on it, then call next()
        failed,     // the stream is invalid: close with error_code()
    };

    explicit FrameReader(std::uint64_t max_message_bytes) : max_message_bytes_(max_message_bytes) {}

    // Consumes bytes until it needs more, completes a control frame, or fails; returns how many it used.
    std::size_t feed(const std::uint8_t* data, std::size_t size);
    State state() const noexcept { return state_; }

    // In state control:
    Opcode control_opcode() const noexcept { return opcode_; }
    std::string_view control_payload() const noexcept { return control_; }
    // For a close frame: its code, or 1005 ("none given") when it has no payload.
    std::uint16_t close_code_received() const noexcept;
    void next();

    // In state failed: the close code to answer with, and why.
    std::uint16_t error_code() const noexcept { return error_code_; }
    std::string_view error_reason() const noexcept { return error_reason_; }

    // Complete data messages received so far (text and binary), all dropped.
    std::uint64_t messages() const noexcept { return messages_; }

private:
    bool header_complete();  // validates the header once all of it is in; false when it failed
    void payload(const std::uint8_t* data, std::size_t size);
    void frame_complete();
    void fail(std::uint16_t code, const char* reason);

    std::uint64_t max_message_bytes_;
    std::uint64_t remaining_ = 0;  // payload bytes of the current frame still to come
    std::uint64_t message_bytes_ = 0;
    std::uint64_t messages_ = 0;
    std::string control_;
    const char* error_reason_ = "";
    Utf8Validator utf8_;
    std::uint8_t header_[14] = {};
    std::uint8_t header_size_ = 0;  // bytes of the current header read so far
    std::uint8_t mask_[4] = {};
    std::uint8_t mask_offset_ = 0;  // payload bytes unmasked so far, modulo 4
    bool in_header_ = true;
    bool fin_ = false;
    bool in_message_ = false;  // a fragmented data message is under way
    bool message_is_text_ = false;
    Opcode opcode_ = Opcode::continuation;
    State state_ = State::need_more;
    std::uint16_t error_code_ = 0;
};

}  // namespace jppd::ws
