#ifndef CAIRN_COLLECTOR_APP_FLAG_ARGS_H_
#define CAIRN_COLLECTOR_APP_FLAG_ARGS_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace cairn::collector {

// Prepares the command line for absl::ParseCommandLine:
//  - "--write-key-file=..." becomes "--write_key_file=..." (Cairn spells
//    flags with '-', absl names them with '_'); values are left alone;
//  - "--flagfile=PATH" (or "--flagfile PATH") is replaced, in place, by the
//    flags in PATH: one flag per line, spelled either way, blank lines and
//    lines starting with '#' skipped, surrounding spaces trimmed. A flag
//    file may name another (at most 4 deep). Flags later on the command line
//    override earlier ones, including those from the file.
// args[0] (the program) is kept; "--" ends flag processing. Fails with
// InvalidArgument/NotFound naming the file (never its contents: a flag file
// may hold a secret) if a file cannot be read, is over 1 MiB, nests too
// deep, or holds a line that is not a flag. Cost: linear in the input.
absl::StatusOr<std::vector<std::string>> ExpandFlagArgs(const std::vector<std::string>& args);

}  // namespace cairn::collector

#endif  // CAIRN_COLLECTOR_APP_FLAG_ARGS_H_
