#ifndef CAIRN_TESTS_SDK_RECORDER_PROCESS_H_
#define CAIRN_TESTS_SDK_RECORDER_PROCESS_H_

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

namespace cairn::testing {

// A child running the record-until-killed helper on one storage directory:
// a second process that really holds the directory, and really dies by
// SIGKILL.
class RecorderProcess {
 public:
  // Starts the helper recording `durable` events into `storage`; waits for
  // the line it prints once they are durable and keeps it in line().
  // pid() is -1 if the fork failed.
  RecorderProcess(const std::string& storage, int durable) {
    int out[2];
    if (pipe(out) != 0) return;
    pid_ = fork();
    if (pid_ == 0) {
      dup2(out[1], STDOUT_FILENO);
      close(out[0]);
      close(out[1]);
      execl(CAIRN_RECORD_UNTIL_KILLED, CAIRN_RECORD_UNTIL_KILLED, storage.c_str(),
            std::to_string(durable).c_str(), static_cast<char*>(nullptr));
      _exit(127);
    }
    close(out[1]);
    char c;
    while (pid_ > 0 && read(out[0], &c, 1) == 1 && c != '\n') line_.push_back(c);
    close(out[0]);
  }
  // Kills the child if still running.
  ~RecorderProcess() { Kill(); }
  RecorderProcess(const RecorderProcess&) = delete;
  RecorderProcess& operator=(const RecorderProcess&) = delete;

  // SIGKILL, then reaps it; true if it died by the signal. False if it had
  // already been reaped.
  bool Kill() {
    if (pid_ <= 0) return false;
    kill(pid_, SIGKILL);
    int status = 0;
    const bool reaped = waitpid(pid_, &status, 0) == pid_;
    pid_ = -1;
    return reaped && WIFSIGNALED(status);
  }

  pid_t pid() const { return pid_; }
  // What the child printed first ("durable <n>"), empty if it failed.
  const std::string& line() const { return line_; }

 private:
  pid_t pid_ = -1;
  std::string line_;
};

}  // namespace cairn::testing

#endif  // CAIRN_TESTS_SDK_RECORDER_PROCESS_H_
