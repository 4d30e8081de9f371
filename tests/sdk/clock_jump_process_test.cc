// A real process whose device clock is set back, against the real
// cairn-collector: events recorded after the clock went back a day (in the
// same run, and in a later run with the clock two days back) are delivered
// and stored, none refused for lack of consent.
#include <fstream>
#include <string>

#include "child_process.h"
#include "delivery_support.h"
#include "gtest/gtest.h"
#include "temp_dir.h"

namespace cairn {
namespace {

constexpr char kKey[] = "clock-write-key";

TEST(ClockJumpProcess, EventsRecordedWithTheClockSetBackAreDeliveredAndStored) {
  testing::TempDir dir;
  const std::string db = dir.File("collector.db");
  auto collector = testing::StartCollectorFor(db, kKey);
  ASSERT_TRUE(collector.ok()) << collector.status();
  const std::string clock_file = dir.File("clock-offset");
  std::ofstream(clock_file) << "0\n";
  auto run = [&](const char* phase) {
    const std::string command = std::string(CAIRN_OFFSET_CLOCK_RECORDER) + " " +
                                (*collector)->base_url() + " " + kKey + " " + dir.File("sdk") +
                                " " + clock_file + " " + phase + " 2>&1";
    absl::StatusOr<testing::ShellResult> result = testing::RunShell(command);
    EXPECT_TRUE(result.ok()) << result.status();
    if (!result.ok()) return -1;
    EXPECT_EQ(result->exit_code(), 0) << result->output;
    return result->exit_code();
  };
  ASSERT_EQ(run("first"), 0);  // sets the clock back a day midway
  std::ofstream(clock_file, std::ios::trunc) << -2 * 24 * 3600 << "\n";
  ASSERT_EQ(run("second"), 0);

  for (const char* name : {"before_jump", "after_jump", "after_restart", "after_regrant"}) {
    const std::string sql =
        std::string("SELECT COUNT(*) FROM events WHERE milestone_name = '") + name + "'";
    EXPECT_EQ(testing::QueryNumber(db, sql.c_str()), 1) << name;
  }
  EXPECT_EQ(testing::QueryNumber(db, "SELECT COUNT(*) FROM events WHERE kind = 'login'"), 2);
  EXPECT_EQ(testing::QueryNumber(db, "SELECT COALESCE(SUM(count), 0) FROM rejections"), 0);
}

}  // namespace
}  // namespace cairn
