#ifndef CAIRN_SDK_DEVICE_PRIVATE_FILES_H_
#define CAIRN_SDK_DEVICE_PRIVATE_FILES_H_

#include <string>

#include "absl/status/status.h"

namespace cairn::sdk {

// The device's files hold personal data (user ids, consent decisions), so
// only the user the app runs as may read them, whatever the process umask:
// the storage directory is 0700 and every file in it 0600.
//
// SQLite creates its -wal, -shm and -journal files with the mode of the
// database file, so a database file made private before SQLite opens it
// keeps its companions private too.

// Creates `dir` and any missing parent with mode 0700. An existing `dir`
// with a wider mode is tightened to 0700 when this user owns it; one owned
// by another user is left as it is (it cannot be changed, and the files in
// it are private all the same). Cost: a mkdir per path component, and a
// stat. Fails with Unavailable if a directory cannot be made.
absl::Status PrepareStorageDir(const std::string& dir);

// Creates `path` empty with mode 0600 if missing (an empty file is a valid
// empty SQLite database), and tightens it and its existing -wal, -shm and
// -journal files to 0600 when this user owns them. Call before SQLite opens
// `path`. Cost: an open and an fstat per file. Fails with Unavailable if
// `path` cannot be created.
absl::Status MakePrivateFile(const std::string& path);

}  // namespace cairn::sdk

#endif  // CAIRN_SDK_DEVICE_PRIVATE_FILES_H_
