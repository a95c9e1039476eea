#include "jpp/transaction.hpp"
