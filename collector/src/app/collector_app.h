#ifndef CAIRN_COLLECTOR_APP_COLLECTOR_APP_H_
#define CAIRN_COLLECTOR_APP_COLLECTOR_APP_H_

#include <signal.h>

#include "app/config.h"

namespace cairn::collector {

// Opens the store, wires writer, APIs, schedulers and the HTTP server from
// `config`, prints the "listening" line, then waits on `signals` (blocked in
// every thread by the caller): SIGHUP reloads the key files (and, with a
// poll interval, a changed file does too), SIGTERM or SIGINT stop the parts
// in the order that loses nothing acknowledged. Returns the exit code: 0
// after a clean stop, kExitFailure if the store or the server cannot start.
int RunCollector(CollectorConfig& config, const sigset_t& signals);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_APP_COLLECTOR_APP_H_
