# Fails when a source file of sdk/, consent/ or common/ other than the
# platform seam's implementations (common/src/platform/platform_<os>.cc)
# includes an OS header or calls the OS directly: everything else there must
# build on any OS, so a port only implements the seam.
#
#   cmake -DROOT=<source tree> -P platform_seam_check.cmake
#
# Prints every offending line as path:line: text (semicolons, brackets and
# backslashes shown as , ( ) /). Comment lines are skipped.
if(NOT ROOT)
  message(FATAL_ERROR "usage: cmake -DROOT=<source tree> -P platform_seam_check.cmake")
endif()
get_filename_component(ROOT "${ROOT}" ABSOLUTE)

set(globs)
foreach(dir sdk consent common)
  foreach(ext c cc cpp h hpp)
    list(APPEND globs "${ROOT}/${dir}/*.${ext}")
  endforeach()
endforeach()
file(GLOB_RECURSE files LIST_DIRECTORIES false RELATIVE "${ROOT}" ${globs})
list(FILTER files EXCLUDE REGEX "^common/src/platform/platform_[a-z0-9]+\\.cc$")
list(SORT files)

# OS headers: POSIX (C standard headers such as errno.h and signal.h are
# portable and allowed) and Windows.
set(os_header "(unistd|fcntl|dirent|pthread|poll|netdb|pwd|grp|dlfcn|syslog|termios|sched|spawn|semaphore|sys/[a-z_/]+|arpa/[a-z_]+|netinet/[a-z_]+|net/[a-z_]+|windows|winsock2|ws2tcpip|io|direct)\\.h")
set(include_re "^[ \t]*#[ \t]*include[ \t]*<${os_header}>")
# OS calls: a name not preceded by an identifier character, '.' or '->'
# (std::filesystem, sqlite3_open and member functions are fine).
set(os_call "(open|close|flock|lockf|fcntl|fsync|fdatasync|pread|pwrite|mkdir|chmod|fchmod|stat|fstat|lstat|umask|opendir|readdir|closedir|prctl|pthread_setname_np|pthread_getname_np|getpid|gettid|geteuid|getuid|inet_pton|inet_ntop|LockFileEx|FlushFileBuffers|CreateFileW?|SetThreadDescription)")
set(call_re "(^|[^A-Za-z0-9_.>])${os_call}[ \t]*\\(")
set(struct_re "struct[ \t]+stat([^A-Za-z0-9_]|$)")

set(offences 0)
foreach(file IN LISTS files)
  # One list element per line: characters that CMake lists treat specially
  # are replaced first (the patterns need none of them).
  file(READ "${ROOT}/${file}" text)
  string(REPLACE "\\" "/" text "${text}")
  string(REPLACE ";" "," text "${text}")
  string(REPLACE "[" "(" text "${text}")
  string(REPLACE "]" ")" text "${text}")
  string(REPLACE "\n" ";" lines "${text}")
  set(number 0)
  foreach(line IN LISTS lines)
    math(EXPR number "${number} + 1")
    if(line MATCHES "^[ \t]*//")
      continue()
    endif()
    if(line MATCHES "${include_re}" OR line MATCHES "${call_re}" OR line MATCHES "${struct_re}")
      message("${file}:${number}: ${line}")
      math(EXPR offences "${offences} + 1")
    endif()
  endforeach()
endforeach()

list(LENGTH files checked)
if(checked EQUAL 0)
  message(FATAL_ERROR "no source file under ${ROOT}/{sdk,consent,common}: wrong ROOT?")
endif()
if(offences GREATER 0)
  message(FATAL_ERROR
    "${offences} OS call(s) or header(s) outside the platform seam: move them into "
    "common/src/platform/ (platform.h and platform_<os>.cc); see docs/sdk.md, \"Porting\"")
endif()
message("platform seam: ${checked} files of sdk/, consent/ and common/ call the OS only through it")
