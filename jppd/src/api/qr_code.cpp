#include "api/qr_code.hpp"

#include <qrencode.h>

#include <memory>

namespace jppd::api {

std::string qr_code_svg(std::string_view text) {
    const std::string input(text);
    const std::unique_ptr<QRcode, decltype(&QRcode_free)> qr(
        QRcode_encodeString(input.c_str(), 0, QR_ECLEVEL_M, QR_MODE_8, 1), QRcode_free);
    if (!qr) return {};
    const int width = qr->width;
    constexpr int quiet = 4;
    const std::string size = std::to_string(width + 2 * quiet);
    std::string svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 " + size + " " + size +
                      "\" shape-rendering=\"crispEdges\" role=\"img\" aria-label=\"QR code of the payment link\">"
                      "<rect width=\"100%\" height=\"100%\" fill=\"#fff\"/><path fill=\"#000\" d=\"";
    // One rectangle per horizontal run of dark modules keeps the path short.
    for (int y = 0; y < width; ++y) {
        for (int x = 0; x < width;) {
            if (!(qr->data[y * width + x] & 1)) {
                ++x;
                continue;
            }
            const int start = x;
            while (x < width && (qr->data[y * width + x] & 1)) ++x;
            svg += "M" + std::to_string(start + quiet) + " " + std::to_string(y + quiet) + "h" +
                   std::to_string(x - start) + "v1h-" + std::to_string(x - start) + "z";
        }
    }
    svg += "\"/></svg>";
    return svg;
}

}  // namespace jppd::api
