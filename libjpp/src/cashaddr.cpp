#include "jpp/cashaddr.hpp"
