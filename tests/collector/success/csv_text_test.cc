// AppendCsvRow: RFC 4180 quoting and formula-safe cells.
#include "success/csv_text.h"

#include <string>

#include "gtest/gtest.h"

namespace cairn::collector {
namespace {

std::string Row(const std::vector<std::string>& cells) {
  std::string out;
  AppendCsvRow(cells, &out);
  return out;
}

TEST(CollectorCsvTextTest, QuotesWhatNeedsIt) {
  EXPECT_EQ(Row({"a", "b c", ""}), "a,b c,\r\n");
  EXPECT_EQ(Row({"x,y", "say \"hi\"", "two\nlines"}),
            "\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\"\r\n");
}

TEST(CollectorCsvTextTest, FormulasBecomeText) {
  EXPECT_EQ(Row({"=1+1", "+cmd", "@SUM(A1)", "-x", "\tTab"}),
            "'=1+1,'+cmd,'@SUM(A1),'-x,'\tTab\r\n");
  EXPECT_EQ(Row({"=HYPERLINK(\"u\",\"v\")"}), "\"'=HYPERLINK(\"\"u\"\",\"\"v\"\")\"\r\n");
  // Numbers stay numbers, negative ones too.
  EXPECT_EQ(Row({"-12.50", "42", "-", "1.2.3"}), "-12.50,42,'-,1.2.3\r\n");
}

}  // namespace
}  // namespace cairn::collector
