// jppd's administrative subcommands (merchant add/list, key create/list/revoke, webhook add/list/remove, backup,
// check): they open the database, do one thing, print the result and exit. Safe beside a running jppd: they touch
// only merchants, keys and webhook endpoints; backup and check only read.
#pragma once

#include "config.hpp"

namespace jppd {

// The process's exit code: 0 done, 1 refused or failed (with a message on stderr).
int run_admin(const DaemonConfig& config);

}  // namespace jppd
