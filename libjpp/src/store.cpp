#include "jpp/store.hpp"

namespace jpp {

std::string_view delivery_state_name(DeliveryState state) noexcept {
    switch (state) {
        case DeliveryState::pending: return "pending";
        case DeliveryState::delivered: return "delivered";
        case DeliveryState::failed: return "failed";
    }
    return "unknown";
}

}  // namespace jpp
