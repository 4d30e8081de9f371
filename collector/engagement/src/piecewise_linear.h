#ifndef CAIRN_ENGAGEMENT_SRC_PIECEWISE_LINEAR_H_
#define CAIRN_ENGAGEMENT_SRC_PIECEWISE_LINEAR_H_

#include <span>

namespace cairn::engagement {

// A knot of a piecewise-linear map.
struct Knot {
  double x;
  double y;
};

// Linear interpolation between `knots` (sorted by x, at least one); flat
// before the first and after the last. Free.
double PiecewiseLinear(std::span<const Knot> knots, double x);

}  // namespace cairn::engagement

#endif  // CAIRN_ENGAGEMENT_SRC_PIECEWISE_LINEAR_H_
