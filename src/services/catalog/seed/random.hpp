#pragma once
// Randomness for the seed generator that gives the same numbers on every
// platform and standard library: xoshiro256** seeded by splitmix64, and own
// distributions (std::*_distribution outputs differ between implementations).

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace emporium::catalog::seed {

/// One splitmix64 step: a well-mixed 64-bit value from any input. Used to
/// derive independent streams ("product 42 of seed 7") from a seed.
std::uint64_t mix64(std::uint64_t value);

/// mix64 of two values: a stream id from (seed, purpose/index).
std::uint64_t mixSeed(std::uint64_t seed, std::uint64_t stream);

/// xoshiro256** (Blackman & Vigna). Small, fast, and fully specified, so a
/// seed gives the same sequence everywhere.
class Random {
 public:
  explicit Random(std::uint64_t seed);

  std::uint64_t next();
  /// Uniform in [0, bound); bound > 0. Unbiased (modulo with rejection).
  std::uint64_t below(std::uint64_t bound);
  /// Uniform in [low, high], both included.
  std::int64_t between(std::int64_t low, std::int64_t high);
  /// Uniform in [0, 1) with 53 random bits.
  double unit();
  bool chance(double probability) { return unit() < probability; }
  /// Standard normal (Box–Muller; one value per call).
  double normal();
  /// exp(N(log(median), sigma)): positive, right-skewed around `median`.
  double logNormal(double median, double sigma);

  template <class T>
  const T& pick(const std::vector<T>& items) {
    return items[static_cast<std::size_t>(below(items.size()))];
  }

 private:
  std::uint64_t state_[4]{};
};

/// Sampling from fixed weights: a cumulative table and a binary search.
class WeightedTable {
 public:
  /// Weights must be non-negative with a positive sum.
  explicit WeightedTable(std::span<const double> weights);
  /// Zipf over ranks 0..count-1: weight of rank r is 1 / (r + 1)^exponent.
  static WeightedTable zipf(std::size_t count, double exponent);

  std::size_t sample(Random& random) const;
  std::size_t size() const noexcept { return cumulative_.size(); }

 private:
  std::vector<double> cumulative_;  // normalized, ends at 1
};

}  // namespace emporium::catalog::seed
