// jpp.h must compile from C++ as well as from C99; this translation unit is the C++ half of that check.
#include "jpp.h"

static_assert(JPP_VERSION_NUMBER == JPP_VERSION_MAJOR * 10000 + JPP_VERSION_MINOR * 100 + JPP_VERSION_PATCH);
