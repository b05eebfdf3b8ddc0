#include "services/catalog/seed/random.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <stdexcept>

namespace emporium::catalog::seed {
namespace {

std::uint64_t rotateLeft(std::uint64_t value, int shift) {
  return (value << shift) | (value >> (64 - shift));
}

}  // namespace

std::uint64_t mix64(std::uint64_t value) {
  value += 0x9e3779b97f4a7c15ULL;
  value = (value ^ (value >> 30)) * 0xbf58476d1ce4e5b9ULL;
  value = (value ^ (value >> 27)) * 0x94d049bb133111ebULL;
  return value ^ (value >> 31);
}

std::uint64_t mixSeed(std::uint64_t seed, std::uint64_t stream) {
  return mix64(mix64(seed) ^ rotateLeft(mix64(stream), 17));
}

Random::Random(std::uint64_t seed) {
  // splitmix64 fills the state, as the xoshiro authors recommend; it is
  // never all zero for any seed.
  std::uint64_t x = seed;
  for (std::uint64_t& word : state_) {
    word = mix64(x);
    x += 0x9e3779b97f4a7c15ULL;
  }
}

std::uint64_t Random::next() {
  const std::uint64_t result = rotateLeft(state_[1] * 5, 7) * 9;
  const std::uint64_t t = state_[1] << 17;
  state_[2] ^= state_[0];
  state_[3] ^= state_[1];
  state_[1] ^= state_[2];
  state_[0] ^= state_[3];
  state_[2] ^= t;
  state_[3] = rotateLeft(state_[3], 45);
  return result;
}

std::uint64_t Random::below(std::uint64_t bound) {
  if (bound == 0) throw std::invalid_argument("Random::below(0)");
  // Modulo with rejection of the lowest 2^64 mod bound values, which would
  // make small results a little likelier.
  const std::uint64_t threshold = (0 - bound) % bound;
  for (;;) {
    const std::uint64_t value = next();
    if (value >= threshold) return value % bound;
  }
}

std::int64_t Random::between(std::int64_t low, std::int64_t high) {
  if (high < low) throw std::invalid_argument("Random::between: high < low");
  const auto span = static_cast<std::uint64_t>(high) - static_cast<std::uint64_t>(low) + 1;
  if (span == 0) return static_cast<std::int64_t>(next());  // the whole 64-bit range
  return static_cast<std::int64_t>(static_cast<std::uint64_t>(low) + below(span));
}

double Random::unit() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

double Random::normal() {
  // 1 - unit() is in (0, 1]: log() never sees 0.
  const double radius = std::sqrt(-2.0 * std::log(1.0 - unit()));
  return radius * std::cos(2.0 * std::numbers::pi * unit());
}

double Random::logNormal(double median, double sigma) {
  return median * std::exp(sigma * normal());
}

WeightedTable::WeightedTable(std::span<const double> weights) {
  double total = 0;
  for (const double weight : weights) {
    if (!(weight >= 0)) throw std::invalid_argument("WeightedTable: negative or NaN weight");
    total += weight;
  }
  if (!(total > 0)) throw std::invalid_argument("WeightedTable: the weights sum to zero");
  cumulative_.reserve(weights.size());
  double running = 0;
  for (const double weight : weights) {
    running += weight;
    cumulative_.push_back(running / total);
  }
  cumulative_.back() = 1.0;  // no rounding gap at the top
}

WeightedTable WeightedTable::zipf(std::size_t count, double exponent) {
  std::vector<double> weights(count);
  for (std::size_t rank = 0; rank < count; ++rank) {
    weights[rank] = 1.0 / std::pow(static_cast<double>(rank + 1), exponent);
  }
  return WeightedTable(weights);
}

std::size_t WeightedTable::sample(Random& random) const {
  const double u = random.unit();
  const auto it = std::upper_bound(cumulative_.begin(), cumulative_.end(), u);
  return std::min(static_cast<std::size_t>(it - cumulative_.begin()), cumulative_.size() - 1);
}

}  // namespace emporium::catalog::seed
