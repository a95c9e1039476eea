#include "ws/frame_reader.hpp"

#include <algorithm>
#include <array>

namespace jppd::ws {

namespace {

// The header's full size, known once its first two bytes are in: the length field's extension and the mask key.
std::uint8_t header_size(const std::uint8_t* header) {
    const std::uint8_t len7 = header[1] & 0x7F;
    const std::uint8_t extension = len7 == 126 ? 2 : len7 == 127 ? 8 : 0;
    return static_cast<std::uint8_t>(2 + extension + ((header[1] & 0x80) ? 4 : 0));
}

bool is_control(Opcode op) { return static_cast<std::uint8_t>(op) >= 8; }

}  // namespace

std::size_t FrameReader::feed(const std::uint8_t* data, std::size_t size) {
    std::size_t used = 0;
    while (state_ == State::need_more && used < size) {
        if (in_header_) {
            const std::size_t want = header_size_ < 2 ? 2 : header_size(header_);
            const std::size_t take = std::min(want - header_size_, size - used);
            std::copy_n(data + used, take, header_ + header_size_);
            header_size_ = static_cast<std::uint8_t>(header_size_ + take);
            used += take;
            if (header_size_ < 2 || header_size_ < header_size(header_)) continue;
            if (!header_complete()) break;
            if (remaining_ == 0) frame_complete();
            continue;
        }
        const std::size_t take = static_cast<std::size_t>(std::min<std::uint64_t>(remaining_, size - used));
        payload(data + used, take);
        used += take;
        remaining_ -= take;
        if (state_ == State::need_more && remaining_ == 0) frame_complete();
    }
    return used;
}

bool FrameReader::header_complete() {
    const std::uint8_t b0 = header_[0], b1 = header_[1];
    fin_ = (b0 & 0x80) != 0;
    opcode_ = static_cast<Opcode>(b0 & 0x0F);
    if (b0 & 0x70) return fail(close_code::protocol_error, "reserved bits set without an extension"), false;
    switch (opcode_) {
        case Opcode::continuation:
        case Opcode::text:
        case Opcode::binary:
        case Opcode::close:
        case Opcode::ping:
        case Opcode::pong: break;
        default: return fail(close_code::protocol_error, "reserved opcode"), false;
    }
    if (!(b1 & 0x80)) return fail(close_code::protocol_error, "client frames must be masked"), false;

    const std::uint8_t len7 = b1 & 0x7F;
    std::uint64_t length = len7;
    std::size_t at = 2;
    if (len7 == 126) {
        length = (std::uint64_t{header_[2]} << 8) | header_[3];
        at = 4;
        if (length < 126) return fail(close_code::protocol_error, "length not minimally encoded"), false;
    } else if (len7 == 127) {
        length = 0;
        for (std::size_t i = 2; i < 10; ++i) length = (length << 8) | header_[i];
        at = 10;
        if (length >> 63) return fail(close_code::protocol_error, "length with its top bit set"), false;
        if (length <= 0xFFFF) return fail(close_code::protocol_error, "length not minimally encoded"), false;
    }
    std::copy_n(header_ + at, 4, mask_);
    mask_offset_ = 0;
    remaining_ = length;
    in_header_ = false;

    if (is_control(opcode_)) {
        if (!fin_) return fail(close_code::protocol_error, "fragmented control frame"), false;
        if (length > 125) return fail(close_code::protocol_error, "control frame longer than 125 bytes"), false;
        control_.clear();
        return true;
    }
    if (opcode_ == Opcode::continuation) {
        if (!in_message_) return fail(close_code::protocol_error, "continuation frame outside a message"), false;
    } else {
        if (in_message_) return fail(close_code::protocol_error, "new message inside a fragmented one"), false;
        in_message_ = true;
        message_is_text_ = opcode_ == Opcode::text;
        message_bytes_ = 0;
        utf8_.reset();
    }
    if (length > max_message_bytes_ - message_bytes_)
        return fail(close_code::message_too_big, "message larger than the server accepts"), false;
    message_bytes_ += length;
    return true;
}

void FrameReader::payload(const std::uint8_t* data, std::size_t size) {
    if (!is_control(opcode_) && !message_is_text_) {  // binary data: only its size matters
        mask_offset_ = static_cast<std::uint8_t>((mask_offset_ + size) & 3);
        return;
    }
    std::array<std::uint8_t, 512> plain;
    while (size > 0) {
        const std::size_t n = std::min(size, plain.size());
        for (std::size_t i = 0; i < n; ++i) plain[i] = data[i] ^ mask_[(mask_offset_ + i) & 3];
        mask_offset_ = static_cast<std::uint8_t>((mask_offset_ + n) & 3);
        if (is_control(opcode_)) {
            control_.append(reinterpret_cast<const char*>(plain.data()), n);
        } else if (!utf8_.feed(plain.data(), n)) {
            return fail(close_code::invalid_payload, "text message is not valid UTF-8");
        }
        data += n;
        size -= n;
    }
}

void FrameReader::frame_complete() {
    in_header_ = true;
    header_size_ = 0;
    if (is_control(opcode_)) {
        if (opcode_ == Opcode::close && !control_.empty()) {
            if (control_.size() == 1) return fail(close_code::protocol_error, "close frame with a 1-byte payload");
            if (!valid_close_code(close_code_received()))
                return fail(close_code::protocol_error, "close frame with an invalid code");
            Utf8Validator reason;
            const auto* bytes = reinterpret_cast<const std::uint8_t*>(control_.data());
            if (!reason.feed(bytes + 2, control_.size() - 2) || !reason.complete())
                return fail(close_code::invalid_payload, "close reason is not valid UTF-8");
        }
        state_ = State::control;
        return;
    }
    if (!fin_) return;
    if (message_is_text_ && !utf8_.complete())
        return fail(close_code::invalid_payload, "text message ends inside a UTF-8 character");
    in_message_ = false;
    ++messages_;
}

std::uint16_t FrameReader::close_code_received() const noexcept {
    if (control_.size() < 2) return 1005;
    return static_cast<std::uint16_t>((static_cast<std::uint8_t>(control_[0]) << 8) |
                                      static_cast<std::uint8_t>(control_[1]));
}

void FrameReader::next() {
    if (state_ != State::control) return;
    state_ = State::need_more;
    if (control_.capacity() > 15) std::string().swap(control_);  // an idle watcher keeps no buffer
    else control_.clear();
}

void FrameReader::fail(std::uint16_t code, const char* reason) {
    state_ = State::failed;
    error_code_ = code;
    error_reason_ = reason;
}

}  // namespace jppd::ws
