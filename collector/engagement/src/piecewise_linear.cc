#include "piecewise_linear.h"

namespace cairn::engagement {

double PiecewiseLinear(std::span<const Knot> knots, double x) {
  if (x <= knots.front().x) return knots.front().y;
  for (size_t i = 1; i < knots.size(); ++i) {
    // Exact at a knot, so band thresholds placed on knots are hit exactly.
    if (x == knots[i].x) return knots[i].y;
    if (x < knots[i].x) {
      const Knot& a = knots[i - 1];
      const Knot& b = knots[i];
      return a.y + (b.y - a.y) * (x - a.x) / (b.x - a.x);
    }
  }
  return knots.back().y;
}

}  // namespace cairn::engagement
