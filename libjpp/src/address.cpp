#include "jpp/address.hpp"
