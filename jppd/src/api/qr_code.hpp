// A QR code drawn as inline SVG (libqrencode), so the invoice page needs no script or image from anywhere.
#pragma once

#include <string>
#include <string_view>

namespace jppd::api {

// An <svg> element of the text's QR code (error correction M, a 4-module quiet zone), scaled by CSS; empty if
// the text does not fit in a QR code.
std::string qr_code_svg(std::string_view text);

}  // namespace jppd::api
